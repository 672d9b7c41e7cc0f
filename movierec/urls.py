import mimetypes

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from catalog.views import insights_page
from movierec.accounts import views as accounts
from movierec.health import healthz
from recommender.views import home

swagger = SpectacularSwaggerSplitView.as_view(url_name="api-schema")


@require_GET
def media_file(request: HttpRequest, name: str) -> FileResponse:
    """One file from the default storage (posters), cached for a day; a missing or unsafe name is a 404."""
    try:
        response = FileResponse(default_storage.open(name), content_type=mimetypes.guess_type(name)[0])
    except (FileNotFoundError, SuspiciousFileOperation, IsADirectoryError):
        raise Http404(name) from None
    response["Cache-Control"] = "public, max-age=86400"
    return response


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # The logo's URL is looked up per request: in production it carries collectstatic's hash.
    return HttpResponsePermanentRedirect(static("icons/logo.svg"))


urlpatterns = [
    path("", home, name="home"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/me/", accounts.account, name="account"),
    path("accounts/devices/<str:token_key>/revoke/", accounts.device_revoke, name="device_revoke"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("movies/", include("catalog.urls")),
    path("me/", include("ratings.urls")),
    path("recommendations/", include("recommender.urls")),
    path("insights/", insights_page, name="insights"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", favicon),
    path("api/v1/", include("movierec.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's own script (the split view serves it as a file) sets inline styles: allowed on this page only.
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(swagger), name="api-docs"),
]
# Cached posters: served from Django's default storage (a storage backend with its own URLs, S3 for one, never
# routes here). A web server in front may serve MEDIA_ROOT at MEDIA_URL itself instead.
urlpatterns.append(path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", media_file, name="media"))
