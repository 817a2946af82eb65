from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _role_groups(sender: AppConfig, **kwargs: Any) -> None:
    # After every migrate, as Django makes its permissions then: a deployment's admin group
    # gets the permissions of models that migrations added, without running the demo setup.
    from jwo_review.accounts.roles import ensure_role_groups

    ensure_role_groups()


class AccountsConfig(AppConfig):
    name = "jwo_review.accounts"
    label = "accounts"
    verbose_name = "Accounts and store keys"

    def ready(self) -> None:
        from jwo_review.accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)

        # Django sends post_migrate per app, after making that app's permissions; adding only
        # what is missing each time costs a few queries.
        post_migrate.connect(_role_groups, dispatch_uid="jwo_review.accounts.role_groups")
