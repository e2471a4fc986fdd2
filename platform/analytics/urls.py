from django.urls import path

from analytics import diagram_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("templates/<str:key>/", diagram_views.template_page, name="template"),
    path("templates/<str:key>/diagram.bpmn", diagram_views.template_bpmn, name="template_bpmn"),
    path("templates/<str:key>/marks.json", diagram_views.template_marks, name="template_marks"),
]
