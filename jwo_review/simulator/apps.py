from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "jwo_review.simulator"
    label = "simulator"
    verbose_name = "Store simulator"
