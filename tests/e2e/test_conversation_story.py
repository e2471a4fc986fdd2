"""The helpdesk conversation end to end, the customer in a real browser and the agent on
the API: web form -> confirmation mail -> the agent asks -> the customer answers by
replying to the mail and on the portal -> resolved -> two stars -> a follow-up (回访)
task. Every notification on the way is asserted: recipient, channel, language, text."""

import re
import shutil
import uuid
from email.utils import make_msgid

import pytest

from tests.conftest import PROCESSES, ROOT, deploy_file
from tests.e2e.browser import run_script
from tests.intake.conftest import smtp  # noqa: F401 (the in-process SMTP server fixture)
from tests.integrations.support import post, token_client, token_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CUSTOMER = "wang.fang@example.cn"


def customer_step(live_server, step, **env):
    return run_script("conversation.mjs", live_server, STEP=step, **env)


def drain():
    """Fan out what the ticket actions left and deliver the outbox, as the worker does
    (whether the fan-out ran after the commit or waits for the worker's sweep)."""
    from notify.delivery import deliver_pending
    from notify.fanout import run_pending_fanout

    run_pending_fanout()
    deliver_pending()


class Notifications:
    """The outbox rows written since the last look, as (channel, recipient, subject)."""

    def __init__(self):
        self.seen = 0

    def new(self):
        from notify.models import OutboxMessage

        drain()
        rows = list(OutboxMessage.objects.filter(id__gt=self.seen).order_by("id"))
        self.seen = max([self.seen, *(r.id for r in rows)])
        assert all(r.state == "sent" for r in rows), [(r.subject, r.last_error) for r in rows]
        return rows


def told(rows) -> set[tuple[str, str, str]]:
    return {
        (r.channel, r.recipient.username if r.recipient else r.address, r.subject) for r in rows
    }


def body_of(rows, channel, who) -> str:
    [row] = [
        r
        for r in rows
        if r.channel == channel and (r.recipient.username if r.recipient else r.address) == who
    ]
    return row.body


def mails_to(smtp, address):  # noqa: F811
    return [m for m in smtp.parsed() if m["To"] == address]


@pytest.fixture
def desk(cast, settings, live_server, tmp_path):
    from intake.actions import do_publish_intake
    from notify.actions import do_set_preferences
    from notify.default_rules import seed_rules
    from notify.models import NotificationRule, RuleTemplate

    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core")
    # The default rules as a new installation has them (seeded by a data migration, which
    # an earlier browser test's flush of the database removes).
    seed_rules(NotificationRule, RuleTemplate)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.FLOWDESK_RATE_NAMESPACE = f"test-rate:{uuid.uuid4().hex}"
    settings.FLOWDESK_FRONTEND_URL = live_server.url  # the links in the mails lead here
    deploy_file(PROCESSES / "follow_up.bpmn")
    deploy_file(PROCESSES / "inquiry.bpmn")
    do_publish_intake(cast["dave"], "inquiry")
    for name in ("alice", "bob"):
        cast[name].email = f"{name}@flowdesk.test"
        cast[name].save(update_fields=["email"])
    do_set_preferences(cast["bob"], language="en")  # alice keeps the default, Chinese
    return cast


def test_the_conversation_story(desk, smtp, live_server):  # noqa: F811
    from django.test import Client

    from tickets.models import HumanTask, Ticket, TicketRating

    alice = token_client(token_for(desk["alice"], "tickets:read", "tasks:write", "messages:write"))
    gateway = token_client(token_for(desk["dave"], "tickets:write"))  # the mail gateway
    notes = Notifications()

    # 1. The customer fills the public form in the browser, in English.
    submitted = customer_step(live_server, "submit", FORM="/intake/inquiry/")
    ticket = Ticket.objects.get(number=submitted["number"])
    number = ticket.number
    assert submitted["overflow"] <= 0 and submitted["link"] == f"/t/{ticket.tracking_token}/"
    assert (ticket.requester.name, ticket.requester.language) == ("Wang Fang", "en")
    step = HumanTask.objects.get(ticket=ticket, state__in=("open", "claimed"))
    assert step.assignee == desk["alice"]  # the agents' round robin starts with her
    rows = notes.new()
    assert told(rows) == {
        ("email", CUSTOMER, f"[{number}] We received your request"),
        ("inapp", "alice", f"[{number}] 新的待办：答复"),
        ("email", "alice", f"[{number}] 新的待办：答复"),
    }
    assert "your ticket" in body_of(rows, "email", CUSTOMER)
    assert "已分配给您" in body_of(rows, "inapp", "alice")
    [confirmation] = mails_to(smtp, CUSTOMER)
    assert confirmation["Subject"].strip() == f"[{number}] We received your request"
    assert confirmation["Reply-To"] == f"support+{number}@flowdesk.example"
    content = confirmation.get_content()
    assert content.startswith("Hello Wang Fang,")
    track = re.search(r"http://\S+/t/\S+/", content).group(0)
    assert track == f"{live_server.url}/t/{ticket.tracking_token}/"
    [assigned] = mails_to(smtp, "alice@flowdesk.test")
    assert assigned["Subject"].strip() == f"[{number}] 新的待办：答复"

    # 2. alice asks a question: one mail to the customer, in English, that threads.
    question = "Which printer model is it? The label is on the back."
    asked = post(alice, f"/api/v1/tasks/{step.id}/request-info", {"question": question})
    assert asked.status_code == 200, asked.content
    rows = notes.new()
    assert told(rows) == {("email", CUSTOMER, f"[{number}] We need more information")}
    question_mail = mails_to(smtp, CUSTOMER)[-1]
    assert question in question_mail.get_content() and track in question_mail.get_content()
    waiting = Client().get(track.removeprefix(live_server.url) + "?lang=en").content.decode()
    assert "We need some information from you" in waiting and question in waiting

    # 3. The customer answers by replying to that mail (through the intake endpoint)...
    reply_id = make_msgid("r", "example.cn")
    reply = (
        f"From: Wang Fang <{CUSTOMER}>\nTo: {question_mail['Reply-To']}\n"
        f"Subject: Re: {question_mail['Subject']}\nMessage-ID: {reply_id}\n"
        f"In-Reply-To: {question_mail['Message-ID']}\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "It is an HP LaserJet.\n\nOn Mon, 30 Nov 2026, Support wrote:\n> Which printer model?"
    ).encode()
    ingested = gateway.post("/api/v1/intake/email", reply, content_type="message/rfc822")
    assert ingested.status_code == 200, ingested.content
    assert (ingested.json()["action"], ingested.json()["ticket"]) == ("commented", number)
    rows = notes.new()
    assert told(rows) == {
        ("inapp", "alice", f"[{number}] 客户回复了"),
        ("email", "alice", f"[{number}] 客户回复了"),
    }
    assert body_of(rows, "inapp", "alice").endswith("It is an HP LaserJet.")

    # 4. ... and on the portal, from the link in the mail.
    portal = customer_step(live_server, "reply", TRACK=track)
    assert portal["overflow"] <= 0
    assert [m.split("\n", 1)[1] for m in portal["after"]] == [
        question,
        "It is an HP LaserJet.",
        "The label says LaserJet 1020. It is under warranty.",
    ]
    assert [m.split(" · ")[0] for m in portal["after"]] == ["Customer service", "You", "You"]
    rows = notes.new()
    assert told(rows) == {
        ("inapp", "alice", f"[{number}] 客户回复了"),
        ("email", "alice", f"[{number}] 客户回复了"),
    }
    assert "LaserJet 1020" in body_of(rows, "email", "alice")
    thread = alice.get(f"/api/v1/tickets/{number}/messages").json()["items"]
    assert [(m["author_kind"], m["source"], m["author_name"] or m["author"]) for m in thread] == [
        ("staff", "request_info", "alice"),
        ("customer", "email", "Wang Fang"),
        ("customer", "portal", "Wang Fang"),
    ]
    assert [m["body"] for m in thread] == [m.split("\n", 1)[1] for m in portal["after"]]
    kinds = list(ticket.events.order_by("id").values_list("kind", flat=True))
    assert kinds.count("info_requested") == 1 and kinds.count("info_received") == 1
    assert HumanTask.objects.get(id=step.id).sla_paused_at is None  # the step runs again

    # 5. alice answers in public (mailed as a reply to the customer's last mail, with an
    # internal note for bob that the customer never sees), then resolves: the customer is
    # asked to rate, in English.
    fix = "Open the back tray and take out the torn sheet; the roller is fine."
    replied = post(alice, f"/api/v1/tickets/{number}/messages/replies", {"body": fix})
    assert replied.status_code == 201, replied.content
    noted = post(alice, f"/api/v1/tickets/{number}/messages/notes",
                 {"body": "@bob the 1020 roller recall does not apply here"})  # fmt: skip
    assert noted.status_code == 201, noted.content
    rows = notes.new()
    assert told(rows) == {
        ("email", CUSTOMER, f"[{number}] Printer jams on every page"),
        ("inapp", "bob", f"[{number}] alice mentioned you"),
        ("email", "bob", f"[{number}] alice mentioned you"),
    }
    assert body_of(rows, "inapp", "bob").endswith("the 1020 roller recall does not apply here")
    answer_mail = mails_to(smtp, CUSTOMER)[-1]
    assert answer_mail.get_content().startswith(fix) and "recall" not in answer_mail.as_string()
    assert answer_mail["In-Reply-To"] == reply_id  # threads under the customer's reply
    answer = {"answer": fix, "resolved": True}
    done = post(alice, f"/api/v1/tasks/{step.id}/complete", {"data": answer})
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content
    rows = notes.new()
    assert told(rows) == {("email", CUSTOMER, f"[{number}] Your ticket is resolved")}
    assert f"Please rate our service: {track}" in body_of(rows, "email", CUSTOMER)

    # 6. Two stars on the portal: the follow-up decision opens a call-back (回访) for
    # the agents, which the round robin gives bob (told in his language, English).
    rated = customer_step(live_server, "rate", TRACK=track, RATING="2")
    assert (rated["status"], rated["rated"]) == ("Resolved", "You rated us 2 of 5. Thank you!")
    rating = TicketRating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment) == (2, "Two days for a paper jam is too slow.")
    follow_up = Ticket.objects.get(number=ticket.events.get(kind="rated").detail["follow_up"])
    call_back = HumanTask.objects.get(ticket=follow_up, state__in=("open", "claimed"))
    assert (call_back.bpmn_id, call_back.assignee) == ("call_back", desk["bob"])
    assert follow_up.data["parent_ticket"] == number
    rows = notes.new()
    assert told(rows) == {
        ("inapp", "bob", f"[{follow_up.number}] Assigned to you: Call the customer back"),
        ("email", "bob", f"[{follow_up.number}] Assigned to you: Call the customer back"),
    }
    # Nothing else reached the customer: four mails, all English, all on the ticket.
    assert [m["Subject"].strip() for m in mails_to(smtp, CUSTOMER)] == [
        f"[{number}] We received your request",
        f"[{number}] We need more information",
        f"[{number}] Printer jams on every page",
        f"[{number}] Your ticket is resolved",
    ]
