from django.urls import path

from annotation import views

urlpatterns = [
    path("", views.home_page, name="annotation"),
    path("next/", views.next_slot, name="annotation-next"),
    path("slots/<int:slot_id>/", views.workspace_page, name="annotation-slot"),
]
