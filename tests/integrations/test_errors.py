"""Every 4xx from the API is JSON {"detail": "..."}."""

import json

import pytest
from django.test import Client

from tests.integrations.support import post, session_client

pytestmark = pytest.mark.django_db


def test_validation_errors_name_the_field(cast):
    response = post(session_client(cast["alice"]), "/api/v1/tickets", {"data": {}})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "body.process: Field required"
    assert body["errors"][0]["loc"][-1] == "process"
    wrong = session_client(cast["alice"]).delete("/api/v1/tokens/x")
    assert wrong.status_code == 422 and wrong.json()["detail"].startswith("path.token_id")


def test_unparseable_json_is_a_json_400_or_422(cast):
    response = session_client(cast["alice"]).post(
        "/api/v1/tickets", "{not json", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert isinstance(response.json()["detail"], str)


def test_unauthenticated_unknown_and_wrong_method_are_json(cast):
    anonymous = Client().post("/api/v1/tickets", "{}", content_type="application/json")
    assert anonymous.status_code == 401 and anonymous.json() == {
        "detail": "authentication required"
    }
    assert anonymous["WWW-Authenticate"].startswith("Bearer")

    alice = session_client(cast["alice"])
    missing = alice.get("/api/v1/no/such/thing")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert json.loads(missing.content) == {"detail": "not found"}
    wrong = alice.delete("/api/v1/messages")
    assert wrong.status_code == 405
    assert wrong.json()["detail"].startswith("method not allowed") and "POST" in wrong["Allow"]


def test_pages_outside_the_api_keep_their_html_errors(cast):
    response = session_client(cast["alice"]).get("/t/no-such-token/")
    assert response.status_code == 404 and "application/json" not in response["Content-Type"]
