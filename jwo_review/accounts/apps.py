from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jwo_review.accounts"
    label = "accounts"
    verbose_name = "Accounts and store keys"

    def ready(self) -> None:
        from jwo_review.accounts import schema  # noqa: F401  (registers the OpenAPI auth extension)
