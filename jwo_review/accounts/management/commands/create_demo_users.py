from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from jwo_review.accounts.roles import Role, ensure_role_groups
from jwo_review.accounts.services import user_access, user_access_changed

DEMO_USERS = [("admin", Role.ADMIN), ("reviewer", Role.REVIEWER), ("annotator", Role.ANNOTATOR)]


class Command(BaseCommand):
    help = "Create the role groups and one demo user per role (password: the --password value)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="jwo-demo-2026")

    def handle(self, *args: Any, **options: Any) -> None:
        groups = ensure_role_groups()
        User = get_user_model()
        for username, role in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            before = None if created else user_access(user)
            if created:
                user.set_password(options["password"])
            user.is_staff = role == Role.ADMIN
            user.save()
            user.groups.add(groups[role])
            user_access_changed(user=user, before=before, actor_label="manage.py create_demo_users")
            self.stdout.write(f"  {role.value:<10} {username} / {options['password']}")
