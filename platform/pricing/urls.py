"""Mount with `path("pricing/", include("pricing.urls"))`."""

from django.urls import path

from pricing import views

app_name = "pricing"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("simulate/", views.simulation, name="simulate"),
    path("statements/<str:ticket_ref>/", views.statement, name="statement"),
]
