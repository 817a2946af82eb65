from django.urls import path

from annotation.api import views
from annotation.labelstudio import api as labelstudio

urlpatterns = [
    path("annotation/claim/", views.ClaimView.as_view(), name="annotation-api-claim"),
    path("annotation/slots/", views.SlotListView.as_view(), name="annotation-api-slots"),
    path("annotation/stats/", views.StatsView.as_view(), name="annotation-api-stats"),
    path("annotation/clips/", views.ClipStatusView.as_view(), name="annotation-api-clip-status"),
    path("annotation/slots/<int:slot_id>/renew/", views.RenewView.as_view(), name="annotation-api-renew"),
    path("annotation/slots/<int:slot_id>/release/", views.ReleaseView.as_view(), name="annotation-api-release"),
    path("annotation/slots/<int:slot_id>/skip/", views.SkipView.as_view(), name="annotation-api-skip"),
    path("annotation/slots/<int:slot_id>/submit/", views.SubmitView.as_view(), name="annotation-api-submit"),
    path("annotation/slots/<int:slot_id>/clips/", views.SlotClipsView.as_view(), name="annotation-api-clips"),
    path("annotation/labelstudio/", labelstudio.ConnectionListView.as_view(), name="annotation-api-labelstudio"),
    path(
        "annotation/labelstudio/<int:connection_id>/sync/",
        labelstudio.ConnectionSyncView.as_view(),
        name="annotation-api-labelstudio-sync",
    ),
]
