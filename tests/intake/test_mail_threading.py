"""E-mail that threads: our mail carries a Message-ID and a reply address with the ticket
number; replies find their ticket by header, address or subject; a message received twice
changes nothing; quoted history and signatures are trimmed, the original kept."""

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from customers.actions import do_link_customer
from intake.actions import do_ingest_email
from intake.mail import trim_reply
from notify.delivery import deliver_pending
from notify.fanout import run_pending_fanout
from notify.models import MailMessage, OutboxMessage
from tests.conftest import deploy_file, repair_start
from tickets import actions
from tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db


def mail(subject, body, *, message_id, to="support@flowdesk.example", headers=""):
    return (
        f"From: Wang Fang <wang.fang@example.cn>\nTo: {to}\nSubject: {subject}\n"
        f"Message-ID: {message_id}\n{headers}"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: 8bit\n\n{body}"
    ).encode()


@pytest.fixture
def confirmed(cast, repair, smtp):
    """Wang Fang's repair ticket and the confirmation mail the SMTP server received."""
    customer, _ = do_link_customer({"name": "Wang Fang", "email": "wang.fang@example.cn"})
    ticket = actions.do_start_ticket(
        cast["alice"], "repair", repair_start(), title="电视无法开机", customer=customer
    )
    run_pending_fanout()
    assert deliver_pending() >= 1
    [confirmation] = [m for m in smtp.parsed() if m["To"] == "wang.fang@example.cn"]
    return ticket, confirmation


def comments(ticket):
    """The customer's e-mail replies: message events of the ticket's conversation."""
    return list(ticket.events.filter(kind="message_posted", detail__source="email").order_by("id"))


def body(event) -> str:
    return TicketMessage.objects.get(id=event.detail["message_id"]).body


def test_the_confirmation_mail_threads(confirmed):
    ticket, confirmation = confirmed
    assert confirmation["Subject"].strip() == f"[{ticket.number}] 我们已收到您的工单"
    assert confirmation["Reply-To"] == f"support+{ticket.number}@flowdesk.example"
    message_id = confirmation["Message-ID"]
    assert message_id.endswith(f".{ticket.number}@flowdesk.example>")
    assert MailMessage.objects.get(message_id=message_id).ticket_id == ticket.id
    assert f"/t/{ticket.tracking_token}/" in confirmation.get_content()
    row = OutboxMessage.objects.get(event_type="created", channel="email")
    assert row.state == "sent"


def test_a_reply_threads_by_its_headers_whatever_its_subject(confirmed):
    ticket, confirmation = confirmed
    raw = mail(
        "hello again",  # no number anywhere but the headers
        "Tomorrow after 3pm suits me.\n\nOn Mon, 30 Nov 2026 at 10:00, support wrote:\n> old",
        message_id="<r1@example.cn>",
        headers=f"In-Reply-To: {confirmation['Message-ID']}\n",
    )
    outcome = do_ingest_email(raw)
    assert (outcome.action, outcome.ticket) == ("commented", ticket)
    [comment] = comments(ticket)
    assert body(comment) == "Tomorrow after 3pm suits me."
    assert TicketMessage.objects.get(id=comment.detail["message_id"]).author_name == "Wang Fang"
    # the step's assignee or queue hears of it, with the trimmed text
    run_pending_fanout()
    told = OutboxMessage.objects.filter(event_type="message_posted", channel="inapp")
    assert told.exists() and all(r.subject == f"[{ticket.number}] 客户回复了" for r in told)
    assert all(r.body.endswith("Tomorrow after 3pm suits me.") for r in told)
    stored = comment.detail["original"]
    with default_storage.open(stored) as handle:
        assert handle.read() == raw  # the original, quotes and all
    # the same message again (a gateway retry, an IMAP re-read) changes nothing
    assert do_ingest_email(raw).action == "duplicate"
    assert len(comments(ticket)) == 1 and Ticket.objects.count() == 1


def test_replies_thread_by_plus_address_then_subject_else_open_a_ticket(confirmed):
    deploy_file(Path(__file__).parent / "fixtures" / "inquiry.bpmn")
    ticket, _ = confirmed
    by_address = mail("Re: 你好", "好的", message_id="<r2@example.cn>",
                      to=f"support+{ticket.number}@flowdesk.example")  # fmt: skip
    assert do_ingest_email(by_address).ticket == ticket
    by_subject = mail(f"Re: {ticket.number} 电视", "还是不行", message_id="<r3@example.cn>")
    assert do_ingest_email(by_subject).ticket == ticket
    assert [body(c) for c in comments(ticket)] == ["好的", "还是不行"]
    fresh = mail("洗衣机漏水", "洗衣机漏水了", message_id="<n1@example.cn>")
    outcome = do_ingest_email(fresh, process_key="inquiry")
    assert outcome.action == "created" and outcome.ticket != ticket


def test_the_command_and_the_endpoint_ignore_a_duplicate(confirmed, tmp_path):
    ticket, confirmation = confirmed
    raw = mail("Re: x", "ok", message_id="<r4@example.cn>",
               headers=f"References: <other@x> {confirmation['Message-ID']}\n")  # fmt: skip
    path = tmp_path / "reply.eml"
    path.write_bytes(raw)
    out = io.StringIO()
    call_command("ingest_email", str(path), stdout=out)
    assert out.getvalue().strip() == f"commented on {ticket.number}"
    out = io.StringIO()
    call_command("ingest_email", str(path), stdout=out)
    assert out.getvalue().strip() == "ignored <r4@example.cn>: received before"
    assert len(comments(ticket)) == 1


def test_a_public_reply_answers_the_customers_last_mail(confirmed, smtp, cast):
    ticket, confirmation = confirmed
    do_ingest_email(mail("Re: x", "When?", message_id="<r5@example.cn>",
                         headers=f"In-Reply-To: {confirmation['Message-ID']}\n"))  # fmt: skip
    from tickets.engine import record_event

    record_event(ticket, "message_posted", actor=cast["alice"], visibility="public",
                 author_kind="staff", text="Tomorrow at 10.")  # fmt: skip
    run_pending_fanout()
    deliver_pending()
    answer = smtp.parsed()[-1]
    assert answer["In-Reply-To"] == "<r5@example.cn>"
    assert answer["Reply-To"] == f"support+{ticket.number}@flowdesk.example"
    assert answer.get_content().startswith("Tomorrow at 10.")


@pytest.mark.parametrize(
    "text, shown",
    [
        ("Fine.\n\nOn Mon, 30 Nov 2026, Support <s@x.cn> wrote:\n> earlier", "Fine."),
        ("Fine.\nOn Mon, 30 Nov 2026 at 10:00, Support\n<s@x.cn> wrote:\n> a", "Fine."),
        ("Fine.\n> quoted\n> more", "Fine."),
        ("Fine.\n\n-- \nWang Fang\nACME", "Fine."),
        ("Fine.\n\nSent from my iPhone", "Fine."),
        (
            "好的，明天下午。\n\n------------------ 原始邮件 ------------------\n发件人: 客服",
            "好的，明天下午。",
        ),
        ("可以。\n\n发件人: support@flowdesk.example\n发送时间: 2026年11月30日", "可以。"),
        ("收到\n\n在 2026年11月30日 10:00，客服 <s@x.cn> 写道：\n> 旧", "收到"),
        ("收到\n\n发自我的iPhone", "收到"),
        ("Line one\nLine two", "Line one\nLine two"),
    ],
)
def test_quoted_history_and_signatures_are_trimmed(text, shown):
    assert trim_reply(text) == shown


def test_email_url_configures_the_backend():
    from flowdesk.settings import email_settings

    smtp = email_settings("smtp://mailer:p%40ss@mail.example.cn:587?tls=1")
    assert smtp["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"]) == ("mail.example.cn", 587)
    assert (smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"]) == ("mailer", "p@ss")
    assert smtp["EMAIL_USE_TLS"] and not smtp["EMAIL_USE_SSL"]
    assert email_settings("smtps://h")["EMAIL_PORT"] == 465
    assert email_settings("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(ValueError):
        email_settings("ftp://h")
