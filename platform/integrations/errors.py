"""One error body for the whole API: every 4xx is JSON ``{"detail": "..."}``.

Endpoints raise ``ApiError`` (or return ``status, {"detail": ...}``); ninja's own errors
(validation 422, authentication 401, 404, throttling) are turned into the same shape by the
handlers installed on the NinjaAPI, and ``JsonErrorsMiddleware`` catches what Django answers
before ninja sees the request (an unknown /api/ path, a method the path does not have).
"""

import json
import logging
import uuid
from http import HTTPStatus

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.http import HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

log = logging.getLogger("flowdesk.api")


class ApiError(Exception):
    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def describe_validation_errors(errors: list[dict]) -> str:
    """ninja's [{"loc": ["body", "body", "process"], "msg": "Field required"}, …] as
    "body.process: Field required; …" (ninja repeats the source as the argument name)."""
    parts = []
    for error in errors:
        loc: list[str] = []
        for item in error.get("loc", []):
            if not loc or str(item) != loc[-1]:
                loc.append(str(item))
        parts.append(f"{'.'.join(loc) or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(api) -> None:
    def api_error(request, exc: ApiError):
        response = api.create_response(request, {"detail": exc.detail}, status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    def validation_error(request, exc: ValidationError):
        body = {"detail": describe_validation_errors(exc.errors), "errors": exc.errors}
        return api.create_response(request, json.loads(json.dumps(body, default=str)), status=422)

    def authentication_error(request, exc: AuthenticationError):
        detail = exc.message if exc.message != "Unauthorized" else "authentication required"
        response = api.create_response(request, {"detail": detail}, status=exc.status_code)
        response["WWW-Authenticate"] = 'Bearer realm="flowdesk"'
        return response

    def http_error(request, exc: HttpError):
        response = api.create_response(request, {"detail": str(exc)}, status=exc.status_code)
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(int(exc.wait))
        return response

    def unexpected_error(request, exc: Exception):
        """A bug: logged with an id the caller can quote; no traceback or setting leaves.
        Django's own refusals keep their status."""
        if isinstance(exc, RequestDataTooBig):
            return api.create_response(request, {"detail": "request body too large"}, status=413)
        if isinstance(exc, SuspiciousOperation | BadRequest):
            return api.create_response(request, {"detail": "bad request"}, status=400)
        if isinstance(exc, PermissionDenied):
            return api.create_response(request, {"detail": "forbidden"}, status=403)
        error_id = uuid.uuid4().hex[:12]
        log.exception("API error %s on %s %s", error_id, request.method, request.path)
        body = {"detail": "internal error", "error_id": error_id}
        return api.create_response(request, body, status=500)

    api.add_exception_handler(Exception, unexpected_error)
    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, authentication_error)
    api.add_exception_handler(HttpError, http_error)


class JsonErrorsMiddleware:
    """Under /api/, turn Django's HTML/empty 4xx answers into ``{"detail": …}``."""

    def __init__(self, get_response, prefix: str = "/api/"):
        self.get_response = get_response
        self.prefix = prefix

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(self.prefix) or not 400 <= response.status_code < 500:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return _as_json(response)


def _as_json(response: HttpResponse) -> JsonResponse:
    reason = HTTPStatus(response.status_code).phrase.lower()
    if response.status_code == 405 and response.get("Allow"):
        reason = f"method not allowed (allowed: {response['Allow']})"
    replacement = JsonResponse({"detail": reason}, status=response.status_code)
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        if response.get(name):
            replacement[name] = response[name]
    return replacement
