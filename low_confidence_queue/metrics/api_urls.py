from django.urls import path

from low_confidence_queue.metrics.api import SERIES, metrics_view

urlpatterns = [path(f"metrics/{name}/", metrics_view(name).as_view(), name=f"metrics-api-{name}") for name in SERIES]
