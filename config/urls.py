from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from engage import views as engage_views
from events import views as events_views

admin.site.site_header = "Engage administration"

urlpatterns = [
    path("", events_views.home, name="home"),
    path("healthz", engage_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # ESP tracking webhooks (basic auth with ANYMAIL WEBHOOK_SECRET); see engage.mail.webhooks.
    path("anymail/", include("anymail.urls")),
    path("", include("engage.urls")),
    path("", include("events.urls")),
    path("", include("feedback.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
