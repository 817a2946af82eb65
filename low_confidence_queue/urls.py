from django.urls import path

from low_confidence_queue import views

urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("next/", views.queue_next, name="queue-next"),
    path("tasks/<int:task_id>/", views.workspace_page, name="queue-task"),
    path("policy/", views.policy_page, name="queue-policy"),
]
