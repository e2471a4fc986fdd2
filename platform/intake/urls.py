"""Public pages: mount with `path("", include("intake.urls"))`."""

from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("intake/<slug:process_key>/", views.intake_form, name="form"),
    path("t/<str:token>/", views.tracking, name="track"),
    path("t/<str:token>/reply/", views.portal_reply, name="reply"),
    path("t/<str:token>/appointment/", views.portal_book, name="book"),
    path("t/<str:token>/rate/", views.portal_rate, name="rate"),
    path("t/<str:token>/statement/", views.portal_statement, name="statement"),
    path("t/<str:token>/reopen/", views.portal_reopen, name="reopen"),
    path("t/<str:token>/files/<int:attachment_id>/", views.portal_attachment, name="file"),
    path("portal/link/", views.portal_link, name="portal_link"),
    path("portal/tickets/<str:signed>/", views.portal_tickets, name="portal_tickets"),
]
