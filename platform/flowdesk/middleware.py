"""The edge of every request: malformed input becomes a clear 4xx before any view (and any
database) sees it, and every page carries a Content-Security-Policy.

Malformed input: a NUL byte in the path, query string, a form field or any string or key of
a JSON body (PostgreSQL refuses NUL in text, so it would otherwise surface as a 500); JSON
nested deeper than FLOWDESK_MAX_JSON_DEPTH; a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413);
a multipart body without a boundary. Answers under /api/ are ``{"detail": …}``; elsewhere a
short plain-text page.

A live refresh (htmx) after the session ended is sent, whole page, to the login page
(`HtmxLoginMiddleware`) rather than given the login page to swap into a list.
"""

import base64
import hashlib
import json
import re
from functools import cache
from urllib.parse import unquote_to_bytes, urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

API_PREFIX = "/api/"


class BadInput(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _refusal(request, error: BadInput) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": error.detail}, status=error.status)
    return HttpResponse(error.detail, status=error.status, content_type="text/plain; charset=utf-8")


def _has_nul(raw: str) -> bool:
    return "\x00" in raw or b"\x00" in unquote_to_bytes(raw)


def check_json(value, max_depth: int) -> None:
    """Raise BadInput for a NUL in any string or key, or nesting deeper than max_depth."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise BadInput(400, "NUL characters (\\u0000) are not allowed in text")
        elif isinstance(item, dict | list):
            if depth > max_depth:
                raise BadInput(400, f"data nested too deeply (more than {max_depth} levels)")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and "\x00" in key:
                    raise BadInput(400, "NUL characters (\\u0000) are not allowed in text")
                stack.append((child, depth + 1))


def _content_type(request) -> tuple[str, str]:
    full = request.META.get("CONTENT_TYPE", "")
    return full.split(";", 1)[0].strip().lower(), full


def _check_body(request) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadInput(400, "invalid Content-Length header") from None
    if limit is not None and length > limit:
        raise BadInput(413, f"request body too large (limit {limit} bytes)")
    if request.method in ("GET", "HEAD", "OPTIONS") or length == 0:
        return
    kind, full = _content_type(request)
    if kind == "multipart/form-data":
        if "boundary=" not in full.lower():
            raise BadInput(400, "multipart body without a boundary")
        _check_form(request)
    elif kind == "application/x-www-form-urlencoded":
        _check_form(request)
    elif kind == "application/json" or kind.endswith("+json"):
        body = _read(request)
        try:
            data = json.loads(body)
        except RecursionError:
            raise BadInput(400, "data nested too deeply") from None
        except ValueError:
            return  # not JSON at all: the endpoint says what it expected
        check_json(data, settings.FLOWDESK_MAX_JSON_DEPTH)
    elif kind.startswith("text/") or kind.startswith("message/"):
        if b"\x00" in _read(request):
            raise BadInput(400, "NUL bytes are not allowed in text")


def _read(request) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise BadInput(413, "request body too large") from None


def _check_form(request) -> None:
    try:
        fields = request.POST
    except RequestDataTooBig:
        raise BadInput(413, "request body too large") from None
    except TooManyFieldsSent:
        raise BadInput(400, "too many form fields") from None
    except MultiPartParserError:
        raise BadInput(400, "malformed multipart body") from None
    for key, values in fields.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            raise BadInput(400, "NUL characters are not allowed in form fields")


class MalformedInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            if "\x00" in request.path_info:
                raise BadInput(400, "NUL characters are not allowed in URLs")
            if _has_nul(request.META.get("QUERY_STRING", "")):
                raise BadInput(400, "NUL characters are not allowed in query strings")
            _check_body(request)
        except BadInput as error:
            return _refusal(request, error)
        return self.get_response(request)


# ------------------------------------------------------------------- Content-Security-Policy

_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


@cache
def inline_hashes() -> dict[str, tuple[str, ...]]:
    """sha256 sources of the inline <script>/<style> blocks of our templates (those without
    template tags, which render byte for byte as written)."""
    found: dict[str, set[str]] = {"script": set(), "style": set()}
    for folder in settings.TEMPLATES[0]["DIRS"]:
        for path in sorted(folder.rglob("*.html")):
            for kind, body in _INLINE.findall(path.read_text(encoding="utf-8")):
                if "{%" in body or "{{" in body:
                    continue
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                found[kind].add(f"'sha256-{digest}'")
    return {kind: tuple(sorted(sources)) for kind, sources in found.items()}


def policy(frame_ancestors: bool, style_attributes: bool = False, style_nonce: str = "") -> str:
    hashes = inline_hashes()
    styles = [*hashes["style"], f"'nonce-{style_nonce}'"] if style_nonce else hashes["style"]
    directives = [
        "default-src 'self'",
        "script-src 'self' " + " ".join(hashes["script"]),
        "style-src 'self' " + " ".join(styles),
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
    if style_attributes:
        # dmn-js sizes table columns and places its overlays with style="" attributes, and its
        # cell editor (CodeMirror) writes one <style> block, let in by the page's nonce. This
        # lets attributes (not other <style> blocks, not scripts) through, on pages that ask.
        directives.append("style-src-attr 'unsafe-inline'")
    if frame_ancestors:
        directives.append("frame-ancestors 'none'")
    return "; ".join(d.strip() for d in directives)


class ContentSecurityPolicyMiddleware:
    """Scripts and styles only from this site (and our own inline blocks, by hash). Pages
    marked frame-exempt (the public intake form) may be embedded anywhere; pages marked
    `csp_style_attributes` (the decision table editor) may use style attributes and the
    <style> block carrying their `csp_style_nonce`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            exempt = getattr(response, "xframe_options_exempt", False)
            styled = getattr(response, "csp_style_attributes", False)
            nonce = getattr(response, "csp_style_nonce", "")
            response["Content-Security-Policy"] = policy(not exempt, styled, nonce)
        return response


class HtmxLoginMiddleware:
    """`login_required` answers a signed-out request with a redirect to the login page,
    which the browser follows for htmx and htmx would swap into the page (the rows of the
    worklist, say). For an htmx request it answers HX-Redirect instead: the whole page goes
    to the login page, and back to itself (not to the fragment) after."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code != 302
            or not request.headers.get("HX-Request")
            or not response.get("Location", "").startswith(settings.LOGIN_URL)
        ):
            return response
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = page.path if page.path.startswith("/") and not page.path.startswith("//") else "/"
        if page.query:
            back = f"{back}?{page.query}"
        redirected = HttpResponse(status=200)
        redirected["HX-Redirect"] = f"{settings.LOGIN_URL}?{urlencode({'next': back})}"
        return redirected
