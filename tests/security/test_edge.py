"""Safe defaults at the edge: malformed input is a clear 4xx, errors show no internals,
pages carry security headers, log-ins are throttled."""

import json
import re

import pytest
from django.test import Client, override_settings

from flowdesk.middleware import inline_hashes
from tests.conftest import PROCESSES, deploy_file
from tests.integrations.support import post, session_client, token_client, token_for

pytestmark = pytest.mark.django_db


def test_debug_is_off_unless_the_environment_turns_it_on():
    from django.conf import settings

    assert settings.DEBUG is False
    assert {"127.0.0.1", "localhost"} <= set(settings.ALLOWED_HOSTS)


def test_a_nul_byte_in_an_anonymous_url_is_a_400_not_a_debug_page():
    response = Client().get("/t/a%00b/")
    assert response.status_code == 400
    assert response.content.decode() == "NUL characters are not allowed in URLs"
    api = Client().get("/api/v1/tickets/a%00b")
    assert api.status_code == 400 and api.json() == {
        "detail": "NUL characters are not allowed in URLs"
    }


@pytest.mark.parametrize(
    "body",
    [
        {"process": "repair\u0000", "data": {}},
        {"process": "repair", "data": {"note": "a\u0000b"}},
        {"process": "repair", "data": {"k\u0000": 1}},
        {"process": "repair", "data": {"list": [["x", {"deep": "\u0000"}]]}},
    ],
)
def test_nul_in_any_json_string_or_key_is_refused(cast, body):
    response = post(session_client(cast["alice"]), "/api/v1/tickets", body)
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": "NUL characters (\\u0000) are not allowed in text"}


def test_nul_in_query_strings_and_form_posts_is_refused(cast):
    alice = session_client(cast["alice"])
    assert alice.get("/api/v1/tasks?process=a%00").status_code == 400
    form = Client().post("/login/", {"username": "alice\x00", "password": "pw"})
    assert form.status_code == 400 and b"NUL" in form.content


def test_json_nested_too_deeply_is_a_400_and_32_levels_pass(cast, repair):
    alice = session_client(cast["alice"])
    deep: dict = {}
    for _ in range(900):
        deep = {"x": deep}
    refused = post(alice, "/api/v1/tickets", {"process": "repair", "data": deep})
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("data nested too deeply")
    ok_depth: dict = {"leaf": 1}
    for _ in range(29):  # body -> data -> 29 levels -> leaf: 31 levels
        ok_depth = {"x": ok_depth}
    allowed = post(alice, "/api/v1/tickets", {"process": "nope", "data": ok_depth})
    assert allowed.status_code == 404  # reached the endpoint


def test_bodies_over_the_limit_are_a_json_413_and_a_5_mib_bundle_fits(cast, settings):
    alice = session_client(cast["alice"])
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit >= settings.FLOWDESK_MAX_UPLOAD_BYTES * 2
    big = alice.post("/api/v1/processes", b"x" * (limit + 1), content_type="application/json")
    assert big.status_code == 413 and big.json()["detail"].startswith("request body too large")
    # a 5 MiB BPMN text escaped into JSON (every quote and newline doubled) is accepted
    bundle = {
        "bpmn_filename": "big.bpmn",
        "bpmn": '"\n' * (settings.FLOWDESK_MAX_UPLOAD_BYTES // 2),
    }
    body = json.dumps(bundle)
    assert len(body) > 2.5 * 1024 * 1024
    deployed = alice.post("/api/v1/processes", body, content_type="application/json")
    assert deployed.status_code == 403  # alice may not deploy: the size passed the edge


def test_multipart_without_a_boundary_is_a_400(cast):
    dave = session_client(cast["dave"])
    response = dave.generic(
        "POST", "/api/v1/processes/upload", b"--x\r\n", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "multipart body without a boundary"}


def test_integer_ranges_are_part_of_the_schema(cast, repair):
    alice = session_client(cast["alice"])
    huge = post(alice, "/api/v1/tickets", {"process": "repair", "priority": 2**40})
    assert huge.status_code == 422 and "priority" in huge.json()["detail"]
    doc = alice.get("/api/v1/openapi.json").json()
    start = doc["components"]["schemas"]["StartIn"]["properties"]["priority"]
    assert (start["minimum"], start["maximum"]) == (0, 4)


def test_an_unexpected_api_error_is_a_500_with_an_id_and_no_traceback(cast, monkeypatch):
    from tickets import access

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals at /srv/flowdesk/settings.py")

    monkeypatch.setattr(access, "worklist_page", broken)
    monkeypatch.setattr("tickets.api.worklist_page", broken)
    client = Client(raise_request_exception=False)
    client.force_login(cast["alice"])
    response = client.get("/api/v1/tasks")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "internal error" and re.fullmatch(r"[0-9a-f]{12}", body["error_id"])
    assert "secret" not in response.content.decode()


def test_a_failing_page_is_our_500_page_without_internals(cast, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals: DATABASE_URL=postgres://x")

    monkeypatch.setattr("tickets.worklists.worklist_page", broken)
    client = Client(raise_request_exception=False)
    client.force_login(cast["alice"])
    response = client.get("/tasks/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "fd-top" in page
    assert "secret" not in page and "Traceback" not in page and "DATABASE_URL" not in page


def test_html_errors_use_our_templates_without_internals(cast):
    missing = session_client(cast["alice"]).get("/tickets/SV-1999-999999/")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert "Not found" in page and "fd-top" in page and "Traceback" not in page
    from django.template.loader import render_to_string

    assert "Something went wrong" in render_to_string("500.html")


def test_pages_carry_security_headers_and_the_intake_form_may_be_framed(cast):
    deploy_file(PROCESSES / "repair.bpmn")
    page = session_client(cast["alice"]).get("/tasks/")
    csp = page["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in page  # plain HTTP

    from intake.actions import do_publish_intake

    do_publish_intake(cast["dave"], "repair")
    intake = Client().get("/intake/repair/")
    assert intake.status_code == 200
    assert (
        "X-Frame-Options" not in intake
        and "frame-ancestors" not in intake["Content-Security-Policy"]
    )
    # its inline <style> is allowed by hash, and the hash is that of the block served
    style = re.search(r"<style>(.*?)</style>", intake.content.decode(), re.S).group(1)
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in intake["Content-Security-Policy"]
    assert len(inline_hashes()["script"]) >= 1


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_hsts_is_sent_over_https_only(cast):
    secure = session_client(cast["alice"]).get("/tasks/", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in session_client(cast["alice"]).get("/tasks/")


def test_static_files_are_served_with_debug_off():
    response = Client().get("/static/flowdesk.css")
    assert response.status_code == 200
    assert b".fd-top" in b"".join(response.streaming_content)


def test_the_eleventh_wrong_password_locks_the_account_for_that_address(cast):
    browser = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(9):
        wrong = browser.post("/login/", {"username": "alice", "password": "nope"})
        assert wrong.status_code == 200 and b"match" in wrong.content
    tenth = browser.post("/login/", {"username": "alice", "password": "nope"})
    assert tenth.status_code == 429  # the 10th failure locks the pair for 15 minutes
    eleventh = browser.post("/login/", {"username": "alice", "password": "nope"})
    assert eleventh.status_code == 429 and b"Too many failed log-ins" in eleventh.content
    assert b"Try again in 15 minutes" in eleventh.content
    right = browser.post("/login/", {"username": "alice", "password": "pw"})
    assert right.status_code == 429 and b"locked" in right.content
    assert "_auth_user_id" not in browser.session
    # another address (or another user) is not locked out
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    assert elsewhere.post("/login/", {"username": "alice", "password": "pw"}).status_code == 302


def test_tokens_and_sessions_keep_working_with_the_edge_checks(cast):
    token = token_client(token_for(cast["alice"], "tickets:read"))
    assert token.get("/api/v1/tasks").status_code == 200
    assert session_client(cast["alice"]).get("/api/v1/tasks").status_code == 200


def test_an_uploaded_bundle_with_nul_bytes_is_refused(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = session_client(cast["dave"]).post(
        "/api/v1/processes/upload",
        {"bpmn": SimpleUploadedFile("a.bpmn", b"<x>\x00</x>", content_type="text/xml")},
    )
    assert upload.status_code == 400
    assert upload.json() == {"detail": "files must not contain NUL bytes"}


def test_search_dates_with_any_offset_are_compared_in_utc(cast):
    alice = session_client(cast["alice"])
    far = alice.get("/api/v1/tickets", {"created_before": "7683-08-28T19:38:39-22:22"})
    assert far.status_code == 200 and far.json()["items"] == []
    overflow = alice.get("/api/v1/tickets", {"created_before": "9999-12-31T23:59:59-23:00"})
    assert overflow.status_code == 422 and "created_before" in overflow.json()["detail"]


def test_the_api_docs_page_loads_only_from_this_site(cast):
    page = session_client(cast["alice"]).get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html and "https://" not in html
    assert "<script>" not in html  # no inline script the CSP would block


def test_ids_beyond_the_database_range_are_not_found(cast):
    alice = session_client(cast["alice"])
    huge = 10**30
    assert post(alice, f"/api/v1/tasks/{huge}/claim", {}).status_code == 404
    assert alice.get(f"/api/v1/tasks/{huge}/operations").status_code == 404
    assert alice.get(f"/api/v1/tickets/{huge}").status_code == 404
    for url in ("/api/v1/tasks", "/api/v1/tickets"):
        too_big = alice.get(url, {"customer": huge})
        assert too_big.status_code == 422 and "customer" in too_big.json()["detail"]
