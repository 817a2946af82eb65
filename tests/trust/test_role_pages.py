"""Each role's pages show their content (not only a 200): the admin role works in the
Django admin with what the README lists; the other roles see their own pages only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

ADMIN_SECTIONS = [
    b"Stores",
    b"Products",
    b"Planograms",
    b"Visits",
    b"Receipts",
    b"Audit log entries",
    b"Clip views",
    b"Users",
    b"Groups",
    b"Store API keys",
    b"Model versions",
    b"Routing policies",
]


def _page(user: Any, path: str) -> tuple[int, bytes]:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    return response.status_code, response.content


def test_the_admin_role_sees_every_section_the_readme_lists(users: dict[str, Any]) -> None:
    status, content = _page(users["admin"], "/admin/")
    assert status == 200
    assert b"have permission to view or edit anything" not in content
    missing = [s.decode() for s in ADMIN_SECTIONS if s not in content]
    assert not missing, f"admin index lacks {missing}"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/admin/store/store/", b"aim3s"),
        ("/admin/store/product/", b"AIM3S-001"),
        ("/admin/auth/user/", b"reviewer-user"),
        ("/admin/accounts/storeapikey/", b"tests"),
        ("/admin/store/auditlogentry/", b"audit log entr"),
    ],
)
def test_the_admin_role_reads_the_lists(users: dict[str, Any], store_key: str, path: str, text: bytes) -> None:
    status, content = _page(users["admin"], path)
    assert status == 200 and text in content


def test_the_demo_admin_can_use_the_admin(db: None, aim3s: Any) -> None:
    import io

    call_command("create_demo_users", password="pw-demo-12345", stdout=io.StringIO())
    client = Client()
    assert client.login(username="admin", password="pw-demo-12345")
    content = client.get("/admin/").content
    assert b"Store API keys" in content and b"Users" in content


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        ("reviewer", [b"Open the review queue"], [b"Open the admin", b"Annotate"]),
        ("annotator", [b"Annotate"], [b"Open the review queue", b"Open the admin"]),
        ("admin", [b"Open the review queue", b"Annotate", b"Open the admin"], []),
    ],
)
def test_home_shows_each_role_what_it_can_do(
    users: dict[str, Any], aim3s: Any, role: str, present: list[bytes], absent: list[bytes]
) -> None:
    status, content = _page(users[role], "/")
    assert status == 200 and b"aim3s" in content
    assert all(p in content for p in present) and not any(a in content for a in absent)


def test_the_reviewer_sees_the_queue_page(users: dict[str, Any]) -> None:
    status, content = _page(users["reviewer"], "/queue/")
    assert status == 200 and b"queue" in content.lower()


@pytest.mark.parametrize("role", ["reviewer", "annotator"])
def test_other_roles_do_not_enter_the_admin(users: dict[str, Any], role: str) -> None:
    status, _ = _page(users[role], "/admin/")
    assert status == 302


def test_migrate_gives_the_admin_group_every_model_permission_without_the_demo(db: None) -> None:
    from django.contrib.auth.models import Group, Permission

    from jwo_review.accounts.roles import ADMIN_APPS

    Group.objects.filter(name="admin").delete()
    call_command("migrate", verbosity=0)
    admin = Group.objects.get(name="admin")
    assert admin.permissions.filter(codename="view_clipview").exists()
    assert admin.permissions.count() == Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).count()
