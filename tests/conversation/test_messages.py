"""The conversation on a ticket: replies and notes in order, on the page and in the API;
attachments checked (size, type by name and content) and served only to readers of the
ticket; @mentions stored; the request-information question and the answer in the thread."""

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import repair_start
from tests.conversation.conftest import PDF, PNG, stored_files
from tests.integrations.support import token_client, token_for
from tickets import actions, operations
from tickets.models import HumanTask, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def open_task(ticket):
    return HumanTask.objects.get(ticket=ticket, state__in=actions.OPEN_STATES)


def at_diagnose(cast):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    ticket = actions.do_complete_task(cast["alice"], open_task(ticket).id, {"accepted": True})
    data = {"visit_date": "2026-11-24", "technician": "tom"}
    return actions.do_complete_task(cast["alice"], open_task(ticket).id, data)


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_replies_and_notes_in_order_in_the_api_with_paging(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    api = token_client(token_for(cast["alice"], "tickets:read", "messages:write"))
    url = f"/api/v1/tickets/{ticket.number}/messages"
    first = post(api, f"{url}/replies", {"body": "We are on it.\nA technician calls today."})
    assert first.status_code == 201, first.content
    assert first.json()["visibility"] == "public" and first.json()["author"] == "alice"
    note = post(api, f"{url}/notes", {"body": "@tom please bring the KFR-35 board, @nobody"})
    assert note.status_code == 201
    assert note.json()["visibility"] == "internal" and note.json()["mentions"] == ["tom"]
    for n in range(3):
        post(api, f"{url}/notes", {"body": f"note {n}"})

    page = api.get(f"{url}?limit=2").json()
    seen = [m["body"] for m in page["items"]]
    while page["next_cursor"]:
        page = api.get(f"{url}?limit=2&cursor={page['next_cursor']}").json()
        seen += [m["body"] for m in page["items"]]
    assert seen == [
        "We are on it.\nA technician calls today.",
        "@tom please bring the KFR-35 board, @nobody",
        "note 0",
        "note 1",
        "note 2",
    ]
    assert api.get(f"{url}?cursor=bm9wZQ").status_code == 400
    message = TicketMessage.objects.get(id=note.json()["id"])
    assert [u.username for u in message.mentions.all()] == ["tom"]
    event = TicketEvent.objects.filter(ticket=ticket, kind="message_posted").order_by("id")[1]
    assert event.detail["visibility"] == "internal" and event.detail["mentions"] == ["tom"]
    assert event.detail["author_kind"] == "staff" and "body" not in event.detail


def test_scopes_and_access(cast, repair):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    url = f"/api/v1/tickets/{ticket.number}/messages"
    reader = token_client(token_for(cast["alice"], "tickets:read"))
    assert reader.get(url).status_code == 200
    assert post(reader, f"{url}/replies", {"body": "hi"}).status_code == 403
    outsider = token_client(token_for(cast["carol"], "tickets:read", "messages:write"))
    assert outsider.get(url).status_code == 404  # finance has no business on this ticket
    note_url = f"/api/v1/tickets/{ticket.number}/messages/notes"
    assert post(outsider, note_url, {"body": "hi"}).status_code == 404
    writer = token_client(token_for(cast["alice"], "messages:write"))
    assert post(writer, f"{url}/replies", {"body": "  "}).status_code == 400
    assert TicketMessage.objects.count() == 0


def test_attachments_limits_type_sniffing_and_who_may_download(cast, repair, settings, media):
    settings.FLOWDESK_ATTACHMENT_MAX_BYTES = 1000
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    api = token_client(token_for(cast["alice"], "tickets:read", "messages:write"))
    url = f"/api/v1/tickets/{ticket.number}/messages/replies"

    too_big = post(
        api,
        url,
        {"body": "x", "attachments": [{"name": "a.pdf", "content_base64": b64(PDF + b"0" * 1000)}]},
    )
    assert too_big.status_code == 413 and "at most 1000" in too_big.json()["detail"]
    exe = post(
        api,
        url,
        {"body": "x", "attachments": [{"name": "setup.exe", "content_base64": b64(b"MZ\x90\x00")}]},
    )
    assert exe.status_code == 400 and "not accepted" in exe.json()["detail"]
    disguised = post(
        api,
        url,
        {
            "body": "x",
            "attachments": [{"name": "invoice.pdf", "content_base64": b64(b"MZ\x90\x00\x03")}],
        },
    )
    assert disguised.status_code == 400 and "not a pdf" in disguised.json()["detail"]
    assert stored_files(media) == [] and TicketMessage.objects.count() == 0

    ok = post(
        api,
        url,
        {
            "body": "photo",
            "attachments": [
                {"name": "../../etc/photo.png", "content_base64": b64(PNG)},
                {"name": "quote.pdf", "content_base64": b64(PDF)},
            ],
        },
    )
    assert ok.status_code == 201, ok.content
    files = ok.json()["attachments"]
    assert [(f["name"], f["content_type"]) for f in files] == [
        ("photo.png", "image/png"),
        ("quote.pdf", "application/pdf"),
    ]
    assert len(stored_files(media)) == 2 and all(
        str(p).startswith(str(media)) for p in stored_files(media)
    )

    download = api.get(files[1]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    page = client_for(cast["alice"]).get(f"/tickets/{ticket.number}/attachments/{files[0]['id']}/")
    assert page.status_code == 200 and b"".join(page.streaming_content) == PNG
    # someone who may not see the ticket gets nothing, by API or by page
    carol_api = token_client(token_for(cast["carol"], "tickets:read"))
    assert carol_api.get(files[1]["url"]).status_code == 404
    carol = client_for(cast["carol"]).get(f"/tickets/{ticket.number}/attachments/{files[0]['id']}/")
    assert carol.status_code == 404
    # an attachment id of another ticket through this ticket's address: 404
    other = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    assert (
        api.get(f"/api/v1/tickets/{other.number}/attachments/{files[0]['id']}").status_code == 404
    )


def test_the_ticket_page_shows_the_thread_and_posts_at_any_step(cast, repair, media):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    alice = client_for(cast["alice"])
    url = f"/tickets/{ticket.number}/messages/"
    sent = alice.post(
        url,
        {
            "body": "Dear customer,\n<b>we</b> come at 3pm",
            "visibility": "public",
            "attachments": [SimpleUploadedFile("plan.txt", "明天下午三点".encode())],
        },
    )
    assert sent.status_code == 302
    noted = alice.post(url, {"body": "check stock for @bob", "visibility": "internal"})
    assert noted.status_code == 302
    refused = alice.post(
        url,
        {
            "body": "x",
            "visibility": "internal",
            "attachments": [SimpleUploadedFile("run.sh.pdf", b"#!/bin/sh\x00rm")],
        },
    )
    assert refused.status_code == 303 and TicketMessage.objects.count() == 2
    html = alice.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Dear customer,<br>&lt;b&gt;we&lt;/b&gt; come at 3pm" in html
    assert html.index("Dear customer") < html.index("check stock for @bob")
    assert "Public reply" in html and "Internal note" in html and "plan.txt" in html
    assert "Mentioned: @bob" in html
    outsider = client_for(cast["carol"]).post(url, {"body": "x", "visibility": "public"})
    assert outsider.status_code == 404 and TicketMessage.objects.count() == 2


def test_request_info_question_and_answer_in_the_thread_and_the_step_resumes(cast, repair):
    ticket = at_diagnose(cast)
    task = open_task(ticket)
    asked = post(
        client_for(cast["tom"]),
        f"/api/v1/tasks/{task.id}/request-info",
        {"question": "Which model is it?"},
    )
    assert asked.status_code == 200
    task.refresh_from_db()
    assert task.sla_paused_at is not None
    operations.do_comment(
        None, ticket.id, "A Gree KFR-35", source="portal", author_name="Wang Fang"
    )
    task.refresh_from_db()
    assert task.sla_paused_at is None
    api = token_client(token_for(cast["tom"], "tickets:read"))
    items = api.get(f"/api/v1/tickets/{ticket.number}/messages").json()["items"]
    assert [(m["author_kind"], m["visibility"], m["body"]) for m in items] == [
        ("staff", "public", "Which model is it?"),
        ("customer", "public", "A Gree KFR-35"),
    ]
    assert items[0]["author"] == "tom" and items[1]["author_name"] == "Wang Fang"
    answer = TicketEvent.objects.filter(ticket=ticket, kind="message_posted").last()
    assert answer.detail["author_kind"] == "customer" and answer.detail["visibility"] == "public"
    assert answer.detail["answers_request_of"] == ["tom"]  # the agent who asked is told
    html = client_for(cast["tom"]).get(f"/tickets/{ticket.number}/").content.decode()
    assert "A Gree KFR-35" in html and "Wang Fang (customer)" in html
