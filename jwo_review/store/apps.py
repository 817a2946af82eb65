from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "jwo_review.store"
    label = "store"
    verbose_name = "Store domain"
