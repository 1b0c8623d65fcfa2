from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from echoes_site.api_errors import ApiNotFoundApi
from echoes_site.health import healthz

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("catalogue.api_urls")),
    path("", include("moods.api_urls")),
    path("", include("compositions.api_urls")),
    # Last: any other /api/v1/ path is a 404 in the API error format, not an HTML page.
    re_path(r"^.*$", ApiNotFoundApi.as_view(), name="not-found"),
]

# A bug under /api/ still answers in the API error format (pages keep the HTML page).
handler500 = "echoes_site.api_errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's setup script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path(
        "api/redoc/",
        # frontend's copy of the template drops the Google Fonts links (no CDN on our pages)
        SpectacularRedocView.as_view(url_name="schema", template_name="frontend/redoc.html"),
        name="api-redoc",
    ),
    path("accounts/", include("accounts.urls")),
    path("catalogue/", include("catalogue.urls")),
    path("moods/", include("moods.urls")),
    path("compositions/", include("compositions.urls")),
    path("", include("frontend.urls")),
]
