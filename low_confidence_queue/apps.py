from django.apps import AppConfig


class LowConfidenceQueueConfig(AppConfig):
    name = "low_confidence_queue"
    verbose_name = "Review queue"
