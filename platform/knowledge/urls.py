from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("knowledge/", views.article_list, name="list"),
    path("knowledge/new/", views.article_edit, name="new"),
    path("knowledge/<int:article_id>/", views.article_page, name="article"),
    path("knowledge/<int:article_id>/edit/", views.article_edit, name="edit"),
    path("kb/", views.public_list, name="public_list"),
    path("kb/<int:article_id>/", views.public_article, name="public_article"),
]
