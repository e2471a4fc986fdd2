"""The OpenAPI document is valid, and every path in it is called by some test."""

import re
from pathlib import Path

import pytest

from tests.integrations.support import session_client

pytestmark = pytest.mark.django_db
TESTS = Path(__file__).resolve().parents[1]


def _document(cast) -> dict:
    response = session_client(cast["alice"]).get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_validates(cast):
    from openapi_spec_validator import validate

    doc = _document(cast)
    validate(doc)
    schemes = doc["components"]["securitySchemes"]
    assert {"ApiTokenAuth", "SessionAuth"} <= set(schemes)
    assert schemes["ApiTokenAuth"]["scheme"] == "bearer"
    assert doc["paths"]["/api/v1/intake/email"]["post"]["requestBody"]["content"]


def _pattern(template: str) -> re.Pattern:
    """A path template as the tests write it: each {param} may be a literal segment or an
    f-string field; the path ends at a quote or a query string."""
    parts = re.split(r"\{[^}]+\}", template)
    segment = r"(?:\{[^}]*\}|[^/\"'\s{}?]+)"
    return re.compile(segment.join(re.escape(p) for p in parts) + r"(?=[\"'?])")


def test_every_endpoint_is_exercised_by_a_test(cast):
    paths = sorted(_document(cast)["paths"])
    assert "/api/v1/tickets" in paths and "/api/v1/webhooks/{subscription_id}" in paths
    this = Path(__file__).resolve()
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in TESTS.rglob("*.py") if p.resolve() != this
    )
    untested = [path for path in paths if not _pattern(path).search(source)]
    assert untested == [], f"endpoints no test calls: {untested}"


def test_the_coverage_check_itself_tells_paths_apart():
    assert _pattern("/api/v1/tickets").search('get("/api/v1/tickets?status=x")')
    assert not _pattern("/api/v1/tickets").search('get("/api/v1/tickets/SV-1")')
    assert _pattern("/api/v1/tasks/{task_id}/claim").search("f\"/api/v1/tasks/{task['id']}/claim\"")
    assert _pattern("/api/v1/tickets/{ref}").search('"/api/v1/tickets/SV-2026-000001"')
    assert not _pattern("/api/v1/tickets/{ref}").search('"/api/v1/tickets/1/retry"')
