from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jwo_review.accounts"
    label = "accounts"
    verbose_name = "Accounts and store keys"
