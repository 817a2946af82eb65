from django.urls import path

from low_confidence_queue.consumers import QueueConsumer
from low_confidence_queue.metrics.consumers import WS_PATH as DASHBOARD_WS_PATH
from low_confidence_queue.metrics.consumers import DashboardConsumer

websocket_urlpatterns = [
    path("ws/queue/", QueueConsumer.as_asgi()),
    path(DASHBOARD_WS_PATH, DashboardConsumer.as_asgi()),
]
