from django.urls import path

from low_confidence_queue.metrics import views

urlpatterns = [path("", views.dashboard_page, name="dashboard")]
