"""Mount with `path("decisions/", include("definitions.decision_urls"))`."""

from django.urls import path

from definitions import decision_views as views

app_name = "decisions"

urlpatterns = [
    path("", views.decision_list, name="list"),
    path("<str:decision_id>/", views.decision_page, name="detail"),
    path("<str:decision_id>/draft/", views.start_draft, name="start_draft"),
    path("<str:decision_id>/v<int:number>/", views.draft_page, name="draft"),
    path("<str:decision_id>/v<int:number>/dmn", views.version_xml, name="xml"),
    path("<str:decision_id>/v<int:number>/save", views.save_draft, name="save"),
    path("<str:decision_id>/v<int:number>/run", views.run_rows, name="run"),
    path("<str:decision_id>/v<int:number>/publish", views.publish, name="publish"),
    path("<str:decision_id>/v<int:number>/rollback", views.rollback, name="rollback"),
]
