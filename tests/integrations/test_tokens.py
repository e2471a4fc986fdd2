"""API tokens: scopes, revocation, expiry, last use, management from a session."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import ApiToken, hash_token
from tests.conftest import repair_start
from tests.integrations.support import post, session_client, token_client, token_for

pytestmark = pytest.mark.django_db

ALL = (
    "tickets:read",
    "tickets:write",
    "tasks:write",
    "messages:write",
    "processes:read",
    "processes:deploy",
    "decisions:publish",
    "webhooks:manage",
)


def test_a_token_without_tickets_write_gets_403_and_with_it_201(cast, repair):
    reader = token_client(token_for(cast["alice"], "tickets:read"))
    body = {"process": "repair", "data": repair_start()}
    refused = post(reader, "/api/v1/tickets", body)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "token lacks scope tickets:write"}

    writer = token_client(token_for(cast["alice"], "tickets:write", "tickets:read"))
    created = post(writer, "/api/v1/tickets", body)
    assert created.status_code == 201, created.content
    ticket = created.json()
    assert ticket["channel"] == "api" and ticket["open_tasks"][0]["bpmn_id"] == "accept"
    # the token acts as alice: she created it, so she can read it
    assert writer.get(f"/api/v1/tickets/{ticket['number']}").json()["id"] == ticket["id"]


SCOPED = [
    ("get", "/api/v1/tickets/SV-2026-000001", None, "tickets:read"),
    ("get", "/api/v1/tickets", None, "tickets:read"),
    ("get", "/api/v1/tasks", None, "tickets:read"),
    ("post", "/api/v1/tasks/1/claim", {}, "tasks:write"),
    ("post", "/api/v1/tasks/1/complete", {"data": {}}, "tasks:write"),
    ("post", "/api/v1/messages", {"name": "paid", "correlation_key": "k"}, "messages:write"),
    ("post", "/api/v1/tickets/1/retry", {}, "tickets:write"),
    ("post", "/api/v1/tickets/1/cancel", {"reason": "x"}, "tickets:write"),
    ("post", "/api/v1/processes", {"bpmn_filename": "a.bpmn", "bpmn": "<x/>"}, "processes:deploy"),
    ("get", "/api/v1/webhooks", None, "webhooks:manage"),
    ("post", "/api/v1/webhooks", {"url": "https://93.184.215.14/h"}, "webhooks:manage"),
    ("delete", "/api/v1/webhooks/1", None, "webhooks:manage"),
]


@pytest.mark.parametrize("method, url, body, scope", SCOPED)
def test_every_endpoint_checks_its_scope(cast, method, url, body, scope):
    others = [s for s in ALL if s != scope]
    lacking = token_client(token_for(cast["dave"], *others))
    if body is None:
        response = getattr(lacking, method)(url)
    else:
        response = post(lacking, url, body)
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": f"token lacks scope {scope}"}

    holding = token_client(token_for(cast["dave"], scope))
    if body is None:
        allowed = getattr(holding, method)(url)
    else:
        allowed = post(holding, url, body)
    assert allowed.status_code != 403 or "lacks scope" not in allowed.json()["detail"]


def test_the_upload_deploy_and_email_intake_check_their_scopes(cast):
    client = token_client(token_for(cast["dave"], "tickets:read"))
    upload = client.post(
        "/api/v1/processes/upload",
        {"bpmn": SimpleUploadedFile("a.bpmn", b"<x/>", content_type="text/xml")},
    )
    assert upload.json() == {"detail": "token lacks scope processes:deploy"}
    mail = client.post(
        "/api/v1/intake/email", b"Subject: hi\n\nbody", content_type="message/rfc822"
    )
    assert mail.json() == {"detail": "token lacks scope tickets:write"}


def test_a_whole_ticket_over_tokens(cast, repair):
    alice = token_client(token_for(cast["alice"], "tickets:write", "tickets:read", "tasks:write"))
    ticket = post(alice, "/api/v1/tickets", {"process": "repair", "data": repair_start()}).json()
    task = alice.get("/api/v1/tasks").json()[0]  # round robin gave the dispatch step to alice
    assert task["ticket"] == ticket["number"] and task["assignee"] == "alice"
    done = post(alice, f"/api/v1/tasks/{task['id']}/complete", {"data": {"accepted": True}})
    assert done.status_code == 200 and done.json()["open_tasks"][0]["bpmn_id"] == "schedule_visit"


def test_revoked_expired_unknown_and_missing_tokens_are_401(cast):
    token = token_for(cast["alice"], "tickets:read")
    client = token_client(token)
    assert client.get("/api/v1/tasks").status_code == 200

    row = ApiToken.objects.get(token_hash=hash_token(token))
    session = session_client(cast["alice"])
    assert session.delete(f"/api/v1/tokens/{row.id}").json()["revoked_at"] is not None
    revoked = client.get("/api/v1/tasks")
    assert revoked.status_code == 401 and revoked.json() == {"detail": "API token has been revoked"}

    expiring = token_for(
        cast["alice"], "tickets:read", expires_at=timezone.now() + dt.timedelta(seconds=60)
    )
    ApiToken.objects.filter(token_hash=hash_token(expiring)).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = token_client(expiring).get("/api/v1/tasks")
    assert expired.status_code == 401 and expired.json() == {"detail": "API token has expired"}

    forged = token.rsplit("_", 1)[0] + "_" + "x" * 43
    assert token_client(forged).get("/api/v1/tasks").json() == {"detail": "invalid API token"}
    assert token_client("abc").get("/api/v1/tasks").json() == {"detail": "malformed API token"}
    anonymous = Client().get("/api/v1/tasks")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "authentication required"}


def test_a_token_of_a_deactivated_user_stops_working(cast):
    token = token_for(cast["tom"], "tickets:read")
    cast["tom"].is_active = False
    cast["tom"].save(update_fields=["is_active"])
    assert token_client(token).get("/api/v1/tasks").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(cast):
    token = token_for(cast["alice"], "tickets:read")
    row = ApiToken.objects.get(token_hash=hash_token(token))
    assert row.last_used_at is None
    client = token_client(token)
    client.get("/api/v1/tasks")
    first = ApiToken.objects.get(id=row.id).last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/tasks")
    assert ApiToken.objects.get(id=row.id).last_used_at == first  # not rewritten...
    assert not [
        q for q in queries.captured_queries if q["sql"].startswith("UPDATE")
    ]  # ...nor tried
    ApiToken.objects.filter(id=row.id).update(last_used_at=first - dt.timedelta(minutes=2))
    client.get("/api/v1/tasks")
    assert ApiToken.objects.get(id=row.id).last_used_at > first


def test_tokens_are_listed_created_and_revoked_from_a_session_only(cast):
    alice = session_client(cast["alice"])
    created = post(alice, "/api/v1/tokens", {"name": "erp", "scopes": ["tickets:read"]})
    assert created.status_code == 201
    clear = created.json()["token"]
    assert clear.startswith("fd_") and created.json()["info"]["scopes"] == ["tickets:read"]
    row = ApiToken.objects.get(id=created.json()["info"]["id"])
    assert row.token_hash == hash_token(clear) and clear not in str(vars(row))

    listed = alice.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["erp"] and "token" not in listed[0]
    assert session_client(cast["tom"]).get("/api/v1/tokens").json() == []
    bad = post(alice, "/api/v1/tokens", {"name": "x", "scopes": ["tickets:delete"]})
    assert bad.status_code == 400 and "tickets:delete" in bad.json()["detail"]

    # a token cannot manage tokens, not even its own
    as_token = token_client(clear)
    assert as_token.get("/api/v1/tokens").status_code == 401
    assert as_token.delete(f"/api/v1/tokens/{row.id}").status_code == 401
    # nor can another user revoke it
    assert session_client(cast["tom"]).delete(f"/api/v1/tokens/{row.id}").status_code == 404
    assert as_token.get("/api/v1/tasks").status_code == 200


def test_the_management_command_prints_the_token_once(cast):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token",
        "carol",
        "--scopes",
        "tickets:read,tasks:write",
        "--name",
        "erp",
        stdout=out,
        stderr=err,
    )
    clear = out.getvalue().strip()
    row = ApiToken.objects.get(token_hash=hash_token(clear))
    assert row.user == cast["carol"] and row.scopes == ["tickets:read", "tasks:write"]
    assert clear not in err.getvalue()
    assert token_client(clear).get("/api/v1/tasks").status_code == 200
    with pytest.raises(CommandError, match="unknown scopes nope"):
        call_command("create_api_token", "carol", "--scopes", "nope", "--name", "x")
    with pytest.raises(CommandError, match="no user"):
        call_command("create_api_token", "nobody", "--scopes", "tickets:read", "--name", "x")


def test_a_deploy_token_deploys_and_reads_versions(cast):
    from tests.tickets.test_api import repair_bundle

    deployer = token_client(token_for(cast["dave"], "processes:deploy", "processes:read"))
    deployed = post(deployer, "/api/v1/processes", repair_bundle())
    assert deployed.status_code == 201 and deployed.json()["version"]["version"] == 1
    assert [p["key"] for p in deployer.get("/api/v1/processes").json()] == ["repair"]
    versions = deployer.get("/api/v1/processes/repair/versions").json()
    assert [v["version"] for v in versions] == [1]
    # the token acts as its user: alice may not deploy, whatever her token says
    alice = token_client(token_for(cast["alice"], "processes:deploy"))
    assert post(alice, "/api/v1/processes", repair_bundle()).status_code == 403
