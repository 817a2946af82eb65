from rest_framework.routers import SimpleRouter

from jwo_review.store.api.views import ReceiptViewSet, VisitViewSet

router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visit")
router.register("receipts", ReceiptViewSet, basename="receipt")
urlpatterns = router.urls
