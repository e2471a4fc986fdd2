"""Mount with `path("notify/", include("notify.urls"))`: the notification centre page and
the inbox's JSON and event-stream endpoints."""

from django.urls import path

from notify import views

app_name = "notify"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("read/", views.centre_mark_read, name="centre_read"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.mark_read, name="mark_read"),
    path("inbox/stream/", views.stream, name="stream"),
]
