"""The `http/*` service operators of SpiffArena's HTTP connector, run for real.

SpiffArena models call `http/GetRequest`, `http/PostRequest`, `http/PutRequest` and
`http/DeleteRequest` with parameters `url`, `headers`, `params`, `data` (or `json`),
`basic_auth_username` / `basic_auth_password` and `timeout`. The result, stored in the
task's result variable, is `{"body": ..., "mimetype": ..., "http_status": ...}` (the body
parsed when it is JSON), like the connector's command response.

Requests go only to hosts on the allow-list the host passes in with `configure()` at start
(FLOWDESK_HTTP_ALLOWED_HOSTS; empty means none), never to private or loopback addresses
unless allowed, and connect to the address that was vetted (bpmn/net.py). Timeouts and
the answer's size are bounded.
"""

import base64
import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from bpmn import net, services

METHODS = {
    "http/GetRequest": "GET",
    "http/PostRequest": "POST",
    "http/PutRequest": "PUT",
    "http/DeleteRequest": "DELETE",
    "http/PatchRequest": "PATCH",
    "http/HeadRequest": "HEAD",
}
PARAMS = ("url", "headers", "params", "data", "json", "basic_auth_username", "basic_auth_password")


class HttpServiceError(RuntimeError):
    """The request was refused or failed; the message says why, in words."""


@dataclass(frozen=True)
class HttpPolicy:
    allowed_hosts: tuple[str, ...] = ()
    allow_private: bool = False
    timeout_s: float = 10.0
    max_response_bytes: int = 1_000_000
    max_request_bytes: int = 1_000_000


_policy = HttpPolicy()


def configure(**changes) -> HttpPolicy:
    """Set the policy (the host calls this once at start, tests around a case); returns the
    previous one so it can be restored."""
    global _policy
    previous = _policy
    if "allowed_hosts" in changes:
        changes["allowed_hosts"] = tuple(h for h in changes["allowed_hosts"] if h.strip())
    _policy = replace(_policy, **changes)
    return previous


def restore(policy: HttpPolicy) -> None:
    global _policy
    _policy = policy


def policy() -> HttpPolicy:
    return _policy


def _url_with_params(url: str, params: Any) -> str:
    if not params:
        return url
    if not isinstance(params, dict):
        raise HttpServiceError("the 'params' parameter must be a mapping of names to values")
    return url + ("&" if "?" in url else "?") + urlencode(params, doseq=True)


def _body(params: dict[str, Any], headers: dict[str, str]) -> bytes | None:
    if params.get("json") is not None:
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(params["json"], default=str).encode()
    data = params.get("data")
    if data is None:
        return None
    if isinstance(data, dict | list):
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(data, default=str).encode()
    return str(data).encode()


def _headers(params: dict[str, Any]) -> dict[str, str]:
    given = params.get("headers") or {}
    if not isinstance(given, dict):
        raise HttpServiceError("the 'headers' parameter must be a mapping of names to values")
    headers = {str(k): str(v) for k, v in given.items()}
    user, password = params.get("basic_auth_username"), params.get("basic_auth_password")
    if user:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers


def _decoded(response: net.Response) -> Any:
    mimetype = response.headers.get("content-type", "").split(";")[0].strip()
    text = response.body.decode("utf-8", errors="replace")
    if mimetype.endswith("json") and not response.truncated:
        try:
            return json.loads(text), mimetype
        except ValueError:
            pass
    return text, mimetype


def send(method: str, params: dict[str, Any]) -> dict[str, Any]:
    current = _policy
    url = params.get("url")
    if not isinstance(url, str) or not url.strip():
        raise HttpServiceError("the 'url' parameter is missing")
    headers = _headers(params)
    body = _body(params, headers)
    if body is not None and len(body) > current.max_request_bytes:
        raise HttpServiceError(f"the request body is over {current.max_request_bytes:,} bytes")
    hint = "; an administrator can add it to FLOWDESK_HTTP_ALLOWED_HOSTS"
    try:
        target = net.vet(
            _url_with_params(url, params.get("params")),
            allow_private=current.allow_private,
            allowed_hosts=current.allowed_hosts,
            allow_hint=hint,
        )
    except net.BadUrl as exc:
        raise HttpServiceError(f"{method} {url} refused: {exc}") from None
    timeout = min(float(params.get("timeout") or current.timeout_s), current.timeout_s)
    try:
        response = net.request_pinned(
            method, target, body, headers, timeout, current.max_response_bytes
        )
    except TimeoutError:
        raise HttpServiceError(f"{method} {url} timed out after {timeout:g} s") from None
    except OSError as exc:
        raise HttpServiceError(f"{method} {url} failed: {exc.strerror or exc}") from None
    except Exception as exc:  # http.client's protocol errors
        raise HttpServiceError(f"{method} {url} failed: {type(exc).__name__}") from None
    decoded, mimetype = _decoded(response)
    return {"body": decoded, "mimetype": mimetype, "http_status": response.status}


def _operator(method: str):
    def run(params: dict[str, Any], call: services.ServiceCall) -> dict[str, Any]:
        return send(method, params)

    return run


for _name, _method in METHODS.items():
    services.register(_name, f"HTTP {_method} (SpiffArena connector)", params=PARAMS)(
        _operator(_method)
    )
