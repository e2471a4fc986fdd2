"""Knowledge-base articles: Markdown bodies (rendered and sanitised on save), tags, links
to a ticket template and category, and a visibility (internal, or public on /kb/)."""

from django.conf import settings
from django.db import models


class Article(models.Model):
    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal"
        PUBLIC = "public", "Public"

    title = models.CharField(max_length=300)
    body = models.TextField(help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False)  # sanitised rendering of body
    tags = models.JSONField(default=list, blank=True)
    tags_text = models.CharField(max_length=1000, blank=True, editable=False)  # for search
    process_key = models.CharField(max_length=200, blank=True, help_text="Ticket template.")
    category = models.CharField(max_length=100, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["visibility", "-updated_at"], name="article_visible_idx"),
            models.Index(fields=["process_key"], name="article_template_idx"),
            models.Index(fields=["category"], name="article_category_idx"),
        ]

    def __str__(self) -> str:
        return self.title
