"""Mount with `path("notify/", include("notify.urls"))`."""

from django.urls import path

from notify import views

app_name = "notify"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.mark_read, name="mark_read"),
    path("inbox/stream/", views.stream, name="stream"),
]
