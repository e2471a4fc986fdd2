"""Knowledge-base pages: staff pages under /knowledge/ (all articles, editing, article
from a resolved ticket) and the public portal under /kb/ (public articles only, no login)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from knowledge import queries
from knowledge.actions import ArticleError, do_save_article
from knowledge.models import Article
from tickets.access import access_ticket
from tickets.models import Ticket
from tickets.visibility import reader_for

MAX_QUERY = 200


def _query(request) -> str:
    return (request.GET.get("q") or "").strip()[:MAX_QUERY]


def _staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("the knowledge base is edited by staff")


# Public portal --------------------------------------------------------------------------


def public_list(request):
    q = _query(request)
    articles = queries.search(q, public_only=True, limit=50)
    return render(request, "knowledge/public_list.html", {"articles": articles, "q": q})


def public_article(request, article_id: int):
    article = get_object_or_404(Article, id=article_id, visibility=Article.Visibility.PUBLIC)
    return render(request, "knowledge/public_article.html", {"article": article})


# Staff ----------------------------------------------------------------------------------


@login_required
def article_list(request):
    _staff(request)
    q = _query(request)
    articles = queries.search(q, public_only=False, limit=100)
    return render(request, "knowledge/list.html", {"articles": articles, "q": q})


@login_required
def article_page(request, article_id: int):
    _staff(request)
    article = get_object_or_404(Article, id=article_id)
    return render(request, "knowledge/article.html", {"article": article})


def _source_ticket(request, ref: str) -> Ticket:
    try:
        ticket = access_ticket(request.user, ref)
    except (Ticket.DoesNotExist, ValueError):
        raise Http404("no such ticket") from None
    return ticket


@login_required
def article_edit(request, article_id: int | None = None):
    """New article (optionally `?ticket=<number>`: prefilled from a resolved ticket) or
    an edit of an existing one."""
    _staff(request)
    article = get_object_or_404(Article, id=article_id) if article_id else None
    ticket = None
    ref = request.GET.get("ticket") or request.POST.get("ticket") or ""
    if ref and article is None:
        ticket = _source_ticket(request, ref)
        if ticket.status != Ticket.Status.COMPLETED:
            return render(
                request,
                "knowledge/edit.html",
                {"errors": {"ticket": "only a resolved ticket becomes an article"}, "fields": {}},
                status=409,
            )
    if request.method == "POST":
        fields = {
            k: request.POST.get(k, "")
            for k in ("title", "body", "tags", "visibility", "process_key", "category")
        }
        try:
            saved = do_save_article(request.user, fields, article, source_ticket=ticket)
        except ArticleError as error:
            context = {
                "errors": error.errors,
                "fields": fields,
                "article": article,
                "ticket": ticket,
            }
            return render(request, "knowledge/edit.html", context, status=400)
        return redirect("knowledge:article", saved.id)
    if article is not None:
        fields = {
            "title": article.title,
            "body": article.body,
            "tags": ", ".join(article.tags),
            "visibility": article.visibility,
            "process_key": article.process_key,
            "category": article.category,
        }
    elif ticket is not None:
        draft = queries.draft_from_ticket(ticket, reader_for(request).view(ticket))
        fields = {**draft, "tags": "", "visibility": Article.Visibility.INTERNAL}
    else:
        fields = {"visibility": Article.Visibility.INTERNAL}
    context = {"fields": fields, "article": article, "ticket": ticket, "errors": {}}
    return render(request, "knowledge/edit.html", context)
