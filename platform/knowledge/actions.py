"""Writers of articles: validated fields, Markdown rendered and sanitised on save."""

from django.db import transaction

from knowledge.models import Article
from knowledge.render import render_markdown

MAX_TAGS, MAX_TAG = 20, 50


class ArticleError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def parse_tags(value) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    tags = []
    for item in items:
        tag = " ".join(str(item).split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _clean(fields: dict) -> dict:
    errors = {}
    title = " ".join(str(fields.get("title") or "").split())
    body = str(fields.get("body") or "")
    tags = parse_tags(fields.get("tags"))
    visibility = fields.get("visibility") or Article.Visibility.INTERNAL
    if not title:
        errors["title"] = "an article needs a title"
    elif len(title) > 300:
        errors["title"] = "at most 300 characters"
    if not body.strip():
        errors["body"] = "an article needs a body"
    elif len(body) > 200_000:
        errors["body"] = "at most 200000 characters"
    if len(tags) > MAX_TAGS or any(len(t) > MAX_TAG for t in tags):
        errors["tags"] = f"at most {MAX_TAGS} tags of at most {MAX_TAG} characters"
    if visibility not in Article.Visibility.values:
        errors["visibility"] = "internal or public"
    for name, size in (("process_key", 200), ("category", 100)):
        if len(str(fields.get(name) or "")) > size:
            errors[name] = f"at most {size} characters"
    if errors:
        raise ArticleError(errors)
    return {
        "title": title,
        "body": body,
        "tags": tags,
        "visibility": visibility,
        "process_key": str(fields.get("process_key") or "").strip(),
        "category": str(fields.get("category") or "").strip(),
    }


def do_save_article(
    user, fields: dict, article: Article | None = None, source_ticket=None
) -> Article:
    """Create (no `article`) or update an article; ArticleError lists invalid fields."""
    values = _clean(fields)
    with transaction.atomic():
        if article is None:
            article = Article(author=user if user and user.is_authenticated else None)
            article.source_ticket = source_ticket
        for name, value in values.items():
            setattr(article, name, value)
        article.tags_text = " ".join(values["tags"])
        article.body_html = render_markdown(values["body"])
        article.save()
    return article
