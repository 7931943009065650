"""URL configuration: the API under /api/v1/, Django admin, health checks and e-mail link pages."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.contacts.pages import newsletter_confirm_page
from apps.core import views as core_views
from apps.courses.pages import certificate_verify_page

admin.site.site_header = "Titanobova administration"
admin.site.site_title = "Titanobova admin"
admin.site.index_title = "Titanobova"

api_v1 = [
    path("", core_views.api_root, name="api-root"),
    path("", include("apps.users.urls")),
    path("", include("apps.contacts.urls")),
    path("", include("apps.courses.urls")),
    path("", include("apps.payments.urls")),
    path("", include("apps.admin_panel.urls")),
    # The React website's requests from the Node.js days (POST/GET contacts/ and enrollments/).
    path("", include("apps.legacy.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script as a file, so the page needs no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", core_views.health, name="health"),
    path("health/live/", core_views.health_live, name="health-live"),
    path("account/", include("apps.users.page_urls")),
    path("newsletter/confirm/", newsletter_confirm_page, name="newsletter-confirm-page"),
    path("certificates/<str:code>/", certificate_verify_page, name="certificate-verify-page"),
    path("api/v1/", include(api_v1)),
    # Anything else under /api/ is a JSON 404, never Django's HTML page.
    re_path(r"^api/", core_views.api_not_found),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
