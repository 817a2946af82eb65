from django.urls import path

from jwo_review.simulator import views

urlpatterns = [path("", views.catalogue, name="catalogue")]
