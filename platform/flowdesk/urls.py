from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from flowdesk import language
from flowdesk.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("notify/", include("notify.urls")),
    path("pricing/", include("pricing.urls")),
    path("analytics/", include("analytics.urls")),
    path("processes/", include("definitions.process_urls")),
    path("decisions/", include("definitions.decision_urls")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", language.set_language, name="set_language"),
    path("", include("knowledge.urls")),
    path("", include("intake.urls")),
    path("", include("tickets.urls")),
]

handler403 = "flowdesk.error_pages.permission_denied"
handler404 = "flowdesk.error_pages.page_not_found"
handler500 = "flowdesk.error_pages.server_error"
