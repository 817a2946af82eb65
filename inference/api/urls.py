from rest_framework.routers import SimpleRouter

from inference.api.views import ModelVersionViewSet

router = SimpleRouter()
router.register("models", ModelVersionViewSet, basename="model-version")
urlpatterns = router.urls
