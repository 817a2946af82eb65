from django.urls import path

from jwo_review.store.media_views import protected_media

urlpatterns = [path("<path:name>", protected_media, name="protected-media")]
