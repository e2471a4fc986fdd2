"""Public pages: mount with `path("", include("intake.urls"))`."""

from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("intake/<slug:process_key>/", views.intake_form, name="form"),
    path("t/<str:token>/", views.tracking, name="track"),
]
