from django.urls import path

from low_confidence_queue.api import views

urlpatterns = [
    path("queue/claim/", views.ClaimView.as_view(), name="queue-api-claim"),
    path("queue/peek/", views.PeekView.as_view(), name="queue-api-peek"),
    path("queue/stats/", views.StatsView.as_view(), name="queue-api-stats"),
    path("queue/clips/", views.ClipStatusView.as_view(), name="queue-api-clips"),
    path("queue/tasks/<int:task_id>/", views.TaskDetailView.as_view(), name="queue-api-task"),
    path("queue/tasks/<int:task_id>/renew/", views.RenewView.as_view(), name="queue-api-renew"),
    path("queue/tasks/<int:task_id>/release/", views.ReleaseView.as_view(), name="queue-api-release"),
    path("queue/tasks/<int:task_id>/skip/", views.SkipView.as_view(), name="queue-api-skip"),
    path("queue/tasks/<int:task_id>/submit/", views.SubmitView.as_view(), name="queue-api-submit"),
    path("queue/tasks/<int:task_id>/clips/", views.TaskClipsView.as_view(), name="queue-api-task-clips"),
    path("queue/disputes/", views.DisputeView.as_view(), name="queue-api-disputes"),
    path("queue/policies/", views.PolicyListView.as_view(), name="queue-api-policies"),
    path("queue/store-thresholds/", views.StoreThresholdListView.as_view(), name="queue-api-store-thresholds"),
    path(
        "queue/stores/<slug:store>/model/rollback/",
        views.StoreModelRollbackView.as_view(),
        name="queue-api-store-model-rollback",
    ),
    path("queue/policies/<slug:scope>/", views.PolicyDetailView.as_view(), name="queue-api-policy"),
]
