"""Knowledge-base API: search and read (`knowledge:read`), create and edit
(`knowledge:write`). Staff see every article; other callers only public ones."""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema

from integrations.auth import require_scope
from knowledge import queries
from knowledge.actions import ArticleError, do_save_article
from knowledge.models import Article

router = Router(tags=["knowledge"])


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] | None = None


class ArticleIn(Schema):
    title: str = Field(..., max_length=300)
    body: str = Field(..., max_length=200_000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    visibility: str = Field("internal", pattern="^(internal|public)$")
    process_key: str = Field("", max_length=200)
    category: str = Field("", max_length=100)


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    body_html: str
    tags: list[str]
    visibility: str
    process_key: str
    category: str
    author: str | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_author(obj):
        return obj.author.username if obj.author_id else None


def _public_only(request) -> bool:
    return not getattr(request.user, "is_staff", False)


def _editable(request) -> bool:
    return bool(getattr(request.user, "is_staff", False))


@router.get("/knowledge/articles", response={200: list[ArticleOut], 400: ErrorOut})
@require_scope("knowledge:read")
def list_articles(request: HttpRequest, q: str = "", limit: int = 50):
    """Articles matching all words of `q` (every article, newest first, without `q`)."""
    if len(q) > 200:
        return 400, {"detail": "q has at most 200 characters"}
    if not 1 <= limit <= 200:
        return 400, {"detail": "limit must be between 1 and 200"}
    articles = queries.search(q, public_only=_public_only(request), limit=limit)
    order = [a.id for a in articles]
    rows = Article.objects.filter(id__in=order).select_related("author")
    return 200, sorted(rows, key=lambda a: order.index(a.id))


@router.get("/knowledge/articles/{article_id}", response={200: ArticleOut, 404: ErrorOut})
@require_scope("knowledge:read")
def get_article(request: HttpRequest, article_id: int):
    article = (
        queries.visible(_public_only(request))
        .select_related("author")
        .filter(id=article_id)
        .first()
    )
    if article is None:
        return 404, {"detail": "no such article"}
    return 200, article


@router.post("/knowledge/articles", response={201: ArticleOut, 403: ErrorOut, 422: ErrorOut})
@require_scope("knowledge:write")
def create_article(request: HttpRequest, payload: ArticleIn):
    if not _editable(request):
        return 403, {"detail": "only staff users write articles"}
    try:
        article = do_save_article(request.user, payload.dict())
    except ArticleError as error:
        return 422, {"detail": str(error), "errors": error.errors}
    return 201, article


@router.put(
    "/knowledge/articles/{article_id}",
    response={200: ArticleOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
@require_scope("knowledge:write")
def update_article(request: HttpRequest, article_id: int, payload: ArticleIn):
    if not _editable(request):
        return 403, {"detail": "only staff users write articles"}
    article = Article.objects.filter(id=article_id).first()
    if article is None:
        return 404, {"detail": "no such article"}
    try:
        article = do_save_article(request.user, payload.dict(), article)
    except ArticleError as error:
        return 422, {"detail": str(error), "errors": error.errors}
    return 200, article
