from django.urls import path

from definitions import draft_views, library_views, process_views

app_name = "processes"

urlpatterns = [
    path("", process_views.process_list, name="list"),
    path("new/", process_views.new_process, name="new"),
    path("library/", library_views.gallery, name="library"),
    path("library/<str:key>/diagram.bpmn", library_views.template_bpmn, name="library_bpmn"),
    path("library/<str:key>/copy/", library_views.copy_template, name="library_copy"),
    path("<str:key>/v<int:number>/", process_views.version_page, name="version"),
    path("<str:key>/v<int:number>/diagram.bpmn", process_views.version_bpmn, name="version_bpmn"),
    path("<str:key>/v<int:number>/bundle.zip", process_views.version_zip, name="version_zip"),
    path("<str:key>/v<int:number>/edit/", process_views.edit_version, name="edit"),
    path("drafts/<int:draft_id>/", draft_views.draft_page, name="draft"),
    path("drafts/<int:draft_id>/diagram.bpmn", draft_views.draft_bpmn, name="draft_bpmn"),
    path("drafts/<int:draft_id>/bundle.zip", draft_views.draft_zip, name="draft_zip"),
    path("drafts/<int:draft_id>/save/", draft_views.draft_save, name="draft_save"),
    path("drafts/<int:draft_id>/scenarios/", draft_views.draft_scenarios, name="draft_scenarios"),
    path("drafts/<int:draft_id>/publish/", draft_views.draft_publish, name="draft_publish"),
]
