from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from jwo_review.accounts import views as account_views

api_v1 = [
    path("", include("jwo_review.store.api.urls")),
    path("", include("inference.api.urls")),
    path("", include("low_confidence_queue.api.urls")),
    path("", include("annotation.api.urls")),
    path("", include("low_confidence_queue.metrics.api_urls")),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("favicon.ico", account_views.favicon, name="favicon"),
    path("accounts/", include("jwo_review.accounts.urls")),
    path("admin/", admin.site.urls),
    path("queue/", include("low_confidence_queue.urls")),
    path("annotation/", include("annotation.urls")),
    path("dashboard/", include("low_confidence_queue.metrics.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("media/", include("jwo_review.store.media_urls")),
    path("catalogue/", include("jwo_review.simulator.urls")),
]

# Under /api/, unmatched URLs and server errors answer JSON, as the API's own errors do.
handler404 = "jwo_review.api.not_found"
handler500 = "jwo_review.api.server_error"
