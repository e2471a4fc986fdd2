"""Read paths: search (PostgreSQL full text, icontains elsewhere and for CJK text), the
articles suggested for a ticket, and a draft article from a resolved ticket."""

import re

from django.db import connection
from django.db.models import Q, QuerySet

from knowledge.models import Article

WORD = re.compile(r"\w+", re.UNICODE)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
MAX_WORDS = 8
# The full-text expression; the GIN index of migration 0002 is built on the same one.
CONFIG = "simple"


def visible(public_only: bool) -> QuerySet:
    articles = Article.objects.all()
    return articles.filter(visibility=Article.Visibility.PUBLIC) if public_only else articles


def words_of(text: str) -> list[str]:
    found = []
    for word in WORD.findall(text or ""):
        if (len(word) >= 2 or CJK.search(word)) and word.lower() not in found:
            found.append(word.lower())
    return found[:MAX_WORDS]


def _vector():
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("tags_text", weight="B", config=CONFIG)
        + SearchVector("body", weight="C", config=CONFIG)
    )


def search(text: str, *, public_only: bool, any_word: bool = False, limit: int = 50) -> list:
    """Articles matching the words of `text` (all of them; `any_word`: one is enough),
    best first on PostgreSQL, newest first otherwise."""
    words = words_of(text)
    articles = visible(public_only)
    if not words:
        return list(articles[:limit]) if not any_word else []
    if connection.vendor == "postgresql" and not CJK.search(" ".join(words)):
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = None
        for word in words:
            part = SearchQuery(word, config=CONFIG, search_type="plain")
            query = part if query is None else (query | part if any_word else query & part)
        vector = _vector()
        return list(
            articles.alias(document=vector)
            .filter(document=query)
            .annotate(rank=SearchRank(vector, query))
            .order_by("-rank", "-updated_at")[:limit]
        )
    condition = None
    for word in words:
        part = Q(title__icontains=word) | Q(body__icontains=word) | Q(tags_text__icontains=word)
        condition = (
            part if condition is None else (condition | part if any_word else condition & part)
        )
    return list(articles.filter(condition)[:limit])


def suggested_for(process_key: str, category: str, title: str, limit: int = 5) -> list:
    """Staff suggestions for a ticket: articles linked to its template or category first,
    then articles sharing words with its title."""
    linked = Q(process_key=process_key) if process_key else Q()
    if category:
        linked = linked | Q(category=category) if process_key else Q(category=category)
    found = list(Article.objects.filter(linked)[:limit]) if (process_key or category) else []
    if len(found) < limit:
        seen = {a.id for a in found}
        for article in search(title, public_only=False, any_word=True, limit=limit * 2):
            if article.id not in seen and len(found) < limit:
                found.append(article)
                seen.add(article.id)
    return found


def draft_from_ticket(ticket, view) -> dict:
    """Title and body of a new article from a ticket: its title, then its public
    conversation in order (internal notes left out), each as this reader may see it."""
    from tickets.conversation import thread

    parts = [view.text(m.body.strip()) for m in thread(ticket, public_only=True) if m.body.strip()]
    title = view.text(ticket.title or "")
    body = "\n\n".join(parts) or title
    return {
        "title": title[:300],
        "body": body,
        "process_key": ticket.process_version.key,
        "category": str((ticket.data or {}).get("category") or "")[:100],
    }
