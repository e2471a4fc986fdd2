"""The GIN index of full-text search, on PostgreSQL only: the same expression as
`knowledge.queries._vector()` (weighted title, tags, body; the 'simple' configuration),
so `document @@ query` uses it. SQLite searches with icontains and needs none."""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS article_search_idx ON knowledge_article USING gin (("
    "(setweight(to_tsvector('simple'::regconfig, COALESCE(title, '')), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, COALESCE(tags_text, '')), 'B'))"
    " || setweight(to_tsvector('simple'::regconfig, COALESCE(body, '')), 'C')))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS article_search_idx")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles")]

    operations = [migrations.RunPython(create, drop)]
