from django.urls import path

from jwo_review.store.media_views import protected_media, signed_clip, signed_media

urlpatterns = [
    path("signed/<str:token>", signed_media, name="signed-media"),
    path("signed-clip/<str:token>", signed_clip, name="signed-clip"),
    path("<path:name>", protected_media, name="protected-media"),
]
