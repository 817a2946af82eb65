from rest_framework.routers import SimpleRouter

from inference.api.views import DatasetVersionViewSet, ModelVersionViewSet

router = SimpleRouter()
router.register("models", ModelVersionViewSet, basename="model-version")
router.register("datasets", DatasetVersionViewSet, basename="dataset-version")
urlpatterns = router.urls
