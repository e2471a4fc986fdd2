"""In-app inbox over HTTP: the notification centre page (/notify/), a JSON list,
mark-read, and a server-sent-events stream.

The stream polls the inbox table (FLOWDESK_SSE_POLL_S, default 2 s) for at most
FLOWDESK_SSE_MAX_S (55 s) and then ends; EventSource reconnects with Last-Event-ID, so a
client misses nothing. It is a synchronous generator meant for WSGI workers (gunicorn with
threads); each open stream holds one worker thread while it lasts.
"""

import json
import time

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from notify import conf
from notify.actions import do_mark_read
from notify.queries import centre_page, inbox_item, latest_inbox_id, unread_count
from notify.queries import inbox as inbox_query

CENTRE_PAGE_SIZE = 50


def _unauthenticated() -> JsonResponse:
    return JsonResponse({"detail": "authentication required"}, status=401)


def _int(value, default: int = 0) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _unauthenticated()
    messages = inbox_query(
        request.user,
        unread_only=request.GET.get("unread") in {"1", "true"},
        after_id=_int(request.GET.get("after")),
        limit=min(_int(request.GET.get("limit"), 50) or 50, 200),
    )
    return JsonResponse(
        {"unread": unread_count(request.user), "messages": [inbox_item(m) for m in messages]}
    )


@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """JSON {"ids": [1, 2]} marks those; {"ids": null} or a non-JSON post marks all."""
    if not request.user.is_authenticated:
        return _unauthenticated()
    raw = request.body if request.content_type == "application/json" else b""
    try:
        ids = json.loads(raw or b"{}").get("ids")
        ids = None if ids is None else [int(i) for i in ids]
    except (ValueError, TypeError, AttributeError):
        return JsonResponse({"detail": 'expected {"ids": [<int>, ...]}'}, status=400)
    marked = do_mark_read(request.user, ids)
    return JsonResponse({"marked": marked, "unread": unread_count(request.user)})


def _events(user, after_id: int):
    deadline = time.monotonic() + float(conf.get("FLOWDESK_SSE_MAX_S", 55))
    poll = float(conf.get("FLOWDESK_SSE_POLL_S", 2))
    yield f"retry: {int(poll * 1000)}\n\n"
    while True:
        for message in inbox_query(user, after_id=after_id, limit=100):
            after_id = message.id
            data = json.dumps(inbox_item(message), ensure_ascii=False)
            yield f"id: {message.id}\nevent: message\ndata: {data}\n\n"
        if time.monotonic() >= deadline:
            return
        yield ": keep-alive\n\n"
        time.sleep(poll)


@require_GET
def stream(request: HttpRequest) -> HttpResponse:
    """Server-sent events: one `message` event per new inbox entry, ids as event ids."""
    if not request.user.is_authenticated:
        return _unauthenticated()
    start = request.headers.get("Last-Event-ID") or request.GET.get("after")
    after_id = _int(start) if start is not None else latest_inbox_id(request.user)
    response = StreamingHttpResponse(
        _events(request.user, after_id), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@login_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    """The notification centre: newest first, 50 a page (?before=<id> for older ones)."""
    show_unread = request.GET.get("unread") in {"1", "true"}
    notifications, next_before = centre_page(
        request.user,
        unread_only=show_unread,
        before_id=_int(request.GET.get("before")),
        limit=CENTRE_PAGE_SIZE,
    )
    context = {
        "notifications": notifications,
        "next_before": next_before,
        "show_unread": show_unread,
        "unread": unread_count(request.user),
    }
    return render(request, "notify/centre.html", context)


@login_required
@require_POST
def centre_mark_read(request: HttpRequest) -> HttpResponse:
    """A form post: `id` marks that notification read, none marks them all."""
    raw = request.POST.get("id")
    if raw is not None and not raw.isdigit():
        return HttpResponse("id must be a notification number", status=400)
    do_mark_read(request.user, [int(raw)] if raw is not None else None)
    return redirect("notify:centre")
