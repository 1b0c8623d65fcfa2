"""The site's URLs plus one API route and one page that fail with a bug (tests only)."""

from django.urls import path

from echoes_site.urls import handler500  # noqa: F401
from echoes_site.urls import urlpatterns as site_urlpatterns


def _bug(request):
    raise RuntimeError("a bug, on purpose")


urlpatterns = [path("api/v1/bug/", _bug), path("bug/", _bug), *site_urlpatterns]
