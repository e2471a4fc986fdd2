"""Every operation a token can reach declares a scope, and a token without it is refused.

The walk reads /api/v1/openapi.json, so an endpoint added without ``require_scope`` fails
here; each operation is then called with a real token holding every scope but its own."""

import re

import pytest
from django.test import Client

from integrations.models import SCOPES
from tests.integrations.support import session_client, token_client, token_for

pytestmark = pytest.mark.django_db
WRITES = {"post", "put", "patch", "delete"}
TOKEN_SCHEME = "ApiTokenAuth"


def _operations(cast):
    doc = session_client(cast["alice"]).get("/api/v1/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _token_scopes(operation) -> list[str] | None:
    """The scopes of the token requirement; None when tokens may not call it at all."""
    for requirement in operation.get("security", []):
        if TOKEN_SCHEME in requirement:
            return requirement[TOKEN_SCHEME]
    return None


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _call(client, method: str, path: str):
    if method == "get":
        return client.get(_url(path))
    return getattr(client, method)(_url(path), "{}", content_type="application/json")


def test_every_operation_a_token_can_call_declares_exactly_one_known_scope(cast):
    undeclared, session_only = [], []
    for path, method, operation in _operations(cast):
        scopes = _token_scopes(operation)
        if scopes is None:
            session_only.append(f"{method.upper()} {path}")
        elif len(scopes) != 1 or scopes[0] not in SCOPES:
            undeclared.append(f"{method.upper()} {path}: {scopes}")
    assert undeclared == [], f"operations without a (known) scope: {undeclared}"
    # only token management is session-only: a token may not mint tokens
    assert all(" /api/v1/tokens" in op for op in session_only), session_only


def test_every_write_operation_declares_a_scope_or_refuses_tokens(cast):
    writes = [(p, m, o) for p, m, o in _operations(cast) if m in WRITES]
    assert len(writes) >= 20
    for path, method, operation in writes:
        scopes = _token_scopes(operation)
        if scopes is None:
            client = token_client(token_for(cast["dave"], *SCOPES))
            response = _call(client, method, path)
            assert response.status_code == 401, (method, path, response.content)
        else:
            assert scopes and all(scopes), (method, path)


def test_a_token_lacking_the_declared_scope_is_refused_everywhere(cast):
    called = []
    for path, method, operation in _operations(cast):
        scopes = _token_scopes(operation)
        if scopes is None:
            continue
        scope = scopes[0]
        lacking = token_client(token_for(cast["dave"], *(s for s in SCOPES if s != scope)))
        response = _call(lacking, method, path)
        assert response.status_code == 403, (method, path, response.content)
        assert response.json() == {"detail": f"token lacks scope {scope}"}, (method, path)
        called.append(path)
    assert "/api/v1/tasks/{task_id}/approve" in called and "/api/v1/messages" in called


def test_the_session_needs_no_scope_and_anonymous_callers_get_401(cast):
    for path, method, _operation in _operations(cast):
        response = _call(Client(), method, path)
        assert response.status_code == 401, (method, path)
    assert session_client(cast["alice"]).get("/api/v1/tasks").status_code == 200
