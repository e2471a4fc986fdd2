"""The customer portal (the private tracking page): status and steps in words, the public
conversation and a reply box, files only for the link's holder, the rating with its
follow-up decision, reopening within the window, and a one-time link to all tickets."""

import datetime
import re
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from intake.actions import WebformSubmission, do_submit_webform
from tests.conftest import PROCESSES, deploy_file
from tests.conversation.conftest import PDF, PNG, stored_files
from tickets import actions, operations
from tickets.models import HumanTask, Ticket, TicketMessage, TicketRating

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_rate_counters(settings):
    settings.FLOWDESK_RATE_NAMESPACE = f"test-rate:{uuid.uuid4().hex}"


@pytest.fixture
def inquiry(db):
    deploy_file(PROCESSES / "follow_up.bpmn")
    return deploy_file(PROCESSES / "inquiry.bpmn")


def submit(name="韩梅梅", phone="13900001111", email="meimei@example.cn", title="Printer jams"):
    return do_submit_webform(
        "inquiry",
        WebformSubmission(name, phone, email, title, "The printer jams on every page."),
        {},
        channel=Ticket.Channel.WEBFORM,
    )


def open_task(ticket):
    return HumanTask.objects.get(ticket=ticket, state__in=actions.OPEN_STATES)


def resolve(cast, ticket):
    data = {"answer": "Replace the roller.", "resolved": True}
    return actions.do_complete_task(cast["bob"], open_task(ticket).id, data)  # a supervisor


def page(ticket, lang="en"):
    return Client().get(f"/t/{ticket.tracking_token}/?lang={lang}")


def test_the_portal_shows_public_replies_never_notes_and_takes_a_reply(cast, inquiry, media):
    ticket = submit()
    operations.do_post_message(cast["alice"], ticket.id, "We look into it.", public=True)
    note = operations.do_post_message(
        cast["alice"],
        ticket.id,
        "INTERNAL: customer sounds angry",
        public=False,
        uploads=[operations.conversation.Upload("internal.pdf", PDF)],
    )
    response = page(ticket)
    html = response.content.decode()
    assert response.status_code == 200
    assert "In progress" in html and "We received your request." in html
    assert "We look into it." in html and "Customer service" in html
    assert "INTERNAL" not in html and "internal.pdf" not in html and "alice" not in html
    assert "created" not in html and "message_posted" not in html  # no event codes

    client = Client()
    sent = client.post(
        f"/t/{ticket.tracking_token}/reply/",
        {"body": "Thanks!\nIt is an HP M404.", "attachments": [SimpleUploadedFile("jam.png", PNG)]},
    )
    assert sent.status_code == 302
    mine = TicketMessage.objects.filter(ticket=ticket, author_kind="customer").get()
    assert mine.visibility == "public" and mine.author_name == "韩梅梅"
    assert mine.body == "Thanks!\nIt is an HP M404."
    html = page(ticket).content.decode()
    assert "Thanks!<br>It is an HP M404." in html and "You" in html

    # the customer's file: to this link only; the note's file: to nobody on the portal
    attachment = mine.attachments.get()
    url = f"/t/{ticket.tracking_token}/files/{attachment.id}/"
    got = Client().get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    other = submit(name="李雷", phone="13900002222", email="lilei@example.cn")
    assert Client().get(f"/t/{other.tracking_token}/files/{attachment.id}/").status_code == 404
    hidden = note.attachments.get()
    assert Client().get(f"/t/{ticket.tracking_token}/files/{hidden.id}/").status_code == 404
    assert Client().get(f"/t/nope/files/{attachment.id}/").status_code == 404


def test_a_refused_attachment_is_a_4xx_and_nothing_is_stored(cast, inquiry, media, settings):
    settings.FLOWDESK_ATTACHMENT_MAX_BYTES = 100
    ticket = submit()
    url = f"/t/{ticket.tracking_token}/reply/"
    big = Client().post(url, {"body": "x", "attachments": [SimpleUploadedFile("a.pdf", PDF * 10)]})
    assert big.status_code == 413 and "at most 100" in big.content.decode()
    fake = Client().post(
        url, {"body": "x", "attachments": [SimpleUploadedFile("a.jpg", b"<script>")]}
    )
    assert fake.status_code == 400 and "not a jpg" in fake.content.decode()
    exe = Client().post(url, {"body": "x", "attachments": [SimpleUploadedFile("a.exe", b"MZ")]})
    assert exe.status_code == 400
    assert Client().post(url, {"body": "  "}).status_code == 400
    assert TicketMessage.objects.count() == 0 and stored_files(media) == []


def test_request_info_waits_for_the_customer_and_their_portal_answer_resumes(cast, inquiry):
    ticket = submit()
    task = open_task(ticket)
    operations.do_request_info(cast["alice"], task.id, "Which printer model?")
    html = page(ticket).content.decode()
    assert "Waiting for your answer" in html and "Which printer model?" in html
    Client().post(f"/t/{ticket.tracking_token}/reply/", {"body": "HP M404"})
    task.refresh_from_db()
    assert task.sla_paused_at is None
    assert ticket.events.filter(kind="info_received").exists()
    html = page(ticket).content.decode()
    assert "In progress" in html and "You sent the information we asked for." in html
    staff = Client()
    staff.force_login(cast["alice"])
    ticket_html = staff.get(f"/tickets/{ticket.number}/").content.decode()
    assert ticket_html.index("Which printer model?") < ticket_html.index("HP M404")


def test_a_low_rating_opens_a_follow_up_by_the_decision(cast, inquiry):
    ticket = submit()
    url = f"/t/{ticket.tracking_token}/rate/"
    assert Client().post(url, {"score": "2"}).status_code == 409  # not resolved yet
    resolve(cast, ticket)
    html = page(ticket).content.decode()
    assert "Resolved" in html and "How did we do?" in html and "Your request was resolved." in html
    assert Client().post(url, {"score": "9"}).status_code == 400
    assert Client().post(url, {"score": "two"}).status_code == 400
    rated = Client().post(url, {"score": "2", "comment": "Took too long"})
    assert rated.status_code == 302
    rating = TicketRating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment) == (2, "Took too long")
    event = ticket.events.get(kind="rated")
    follow_up = Ticket.objects.get(number=event.detail["follow_up"])
    assert follow_up.process_version.key == "follow_up"
    assert follow_up.data["parent_ticket"] == ticket.number
    task = open_task(follow_up)
    assert [g.name for g in task.candidate_groups.all()] == ["agents"]
    decision = ticket.events.get(kind="decision", detail__decision_id="follow_up")
    assert decision.detail["outputs"] == {"follow_up": True, "group": "agents"}
    assert Client().post(url, {"score": "5"}).status_code == 409  # once
    assert "You rated us 2 of 5" in page(ticket).content.decode()


def test_a_good_rating_opens_nothing(cast, inquiry):
    ticket = resolve(cast, submit())
    Client().post(f"/t/{ticket.tracking_token}/rate/", {"score": "4"})
    assert ticket.events.get(kind="rated").detail["follow_up"] is None
    assert Ticket.objects.filter(process_version__key="follow_up").count() == 0


def test_reopen_within_the_window_only(cast, inquiry, settings):
    settings.FLOWDESK_REOPEN_DAYS = 3
    ticket = resolve(cast, submit())
    assert "Within 3 days" in page(ticket).content.decode()
    late = resolve(cast, submit(name="Late", phone="13900003333", email="late@example.cn"))
    Ticket.objects.filter(id=late.id).update(closed_at=timezone.now() - datetime.timedelta(days=4))
    refused = Client().post(f"/t/{late.tracking_token}/reopen/", {"reason": "still broken"})
    assert refused.status_code == 409 and "within 3 days" in refused.content.decode()
    assert "Not solved?" not in page(late).content.decode()

    done = Client().post(f"/t/{ticket.tracking_token}/reopen/", {"reason": "Jams again"})
    assert done.status_code == 302
    ticket.refresh_from_db()
    follow_up = Ticket.objects.get(number=ticket.data["reopened_as"])
    assert ticket.events.get(kind="reopened").detail["follow_up"] == follow_up.number
    assert [g.name for g in open_task(follow_up).candidate_groups.all()] == ["agents"]
    html = page(ticket).content.decode()
    assert f"as ticket {follow_up.number}" in html and "Jams again" in html
    again = Client().post(f"/t/{ticket.tracking_token}/reopen/", {"reason": "x"})
    assert again.status_code == 409


def test_a_one_time_link_to_all_tickets_by_mail(cast, inquiry, smtp, settings):
    first = submit(title="Printer jams")
    second = submit(title="Scanner is slow")
    submit(name="李雷", phone="13900002222", email="lilei@example.cn", title="Not hers")
    asked = Client().post("/portal/link/", {"email": "MeiMei@example.cn"})
    assert asked.status_code == 200 and "on its way" in asked.content.decode()
    unknown = Client().post("/portal/link/", {"email": "nobody@example.cn"})
    assert unknown.content.decode().count("on its way") == 1  # the same answer
    assert Client().post("/portal/link/", {"email": "not-an-address"}).status_code == 400
    assert len(smtp.messages) == 1
    recipients, mail = smtp.messages[0]
    assert recipients == ["meimei@example.cn"]
    text = mail.get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/portal/tickets/[^/\s]+/)", text).group(1)
    listed = Client().get(link)
    html = listed.content.decode()
    assert listed.status_code == 200
    assert first.number in html and second.number in html and "Not hers" not in html
    assert f"/t/{first.tracking_token}/" in html
    assert Client().get(link).status_code == 410  # once
    assert Client().get("/portal/tickets/forged-token/").status_code == 404

    settings.FLOWDESK_PORTAL_LINK_MAX_AGE = 1
    Client().post("/portal/link/", {"email": "meimei@example.cn"})
    text = smtp.messages[-1][1].get_payload(decode=True).decode()
    link = re.search(r"http://testserver(/portal/tickets/[^/\s]+/)", text).group(1)
    time.sleep(2.1)
    expired = Client().get(link)
    assert expired.status_code == 410 and "expired" in expired.content.decode()


def test_the_portal_in_chinese(cast, inquiry):
    ticket = submit()
    html = page(ticket, "zh-hans").content.decode()
    assert 'lang="zh-CN"' in html and "我们已收到您的请求。" in html and "处理中" in html
    assert "发送" in html


def test_refusals_on_the_portal_are_in_the_readers_language(cast, inquiry):
    ticket = submit()
    refused = Client().post(f"/t/{ticket.tracking_token}/rate/?lang=zh-hans", {"score": "3"})
    assert refused.status_code == 409 and "只有已解决的工单才能评价。" in refused.content.decode()


def test_the_form_in_the_visitors_language_and_their_mail_in_it_too(cast, inquiry):
    from intake.actions import do_publish_intake
    from notify.fanout import run_pending_fanout
    from notify.models import OutboxMessage

    do_publish_intake(None, "inquiry")
    form = Client().get("/intake/inquiry/?lang=zh-hans").content.decode()
    assert "您的姓名" in form and "提交" in form
    for lang, name, email in (
        ("en", "Wang Fang", "w@example.cn"),
        ("zh-hans", "李雷", "l@example.cn"),
    ):
        contact = {"name": name, "email": email, "description": "Printer jams"}
        done = Client().post(f"/intake/inquiry/?lang={lang}", contact)
        assert done.status_code == 200
    run_pending_fanout()
    mails = dict(
        OutboxMessage.objects.filter(event_type="created", channel="email").values_list(
            "address", "subject"
        )
    )
    [english, chinese] = Ticket.objects.order_by("id")
    assert (english.requester.language, chinese.requester.language) == ("en", "zh-hans")
    assert mails == {
        "w@example.cn": f"[{english.number}] We received your request",
        "l@example.cn": f"[{chinese.number}] 我们已收到您的工单",
    }
    thanks = Client().post("/intake/inquiry/?lang=zh-hans", {**contact, "email": "x@example.cn"})
    assert "谢谢，我们已收到您的请求" in thanks.content.decode()
    bot = Client().post("/intake/inquiry/?lang=zh-hans", {**contact, "website": "http://spam"})
    assert bot.status_code == 400 and "您的请求未能受理" in bot.content.decode()


def test_a_follow_up_never_mails_the_customer_a_second_ticket(cast, inquiry):
    from notify.fanout import run_pending_fanout
    from notify.models import OutboxMessage

    ticket = resolve(cast, submit())
    Client().post(f"/t/{ticket.tracking_token}/rate/", {"score": "1"})
    follow_up = Ticket.objects.get(number=ticket.events.get(kind="rated").detail["follow_up"])
    run_pending_fanout()
    assert OutboxMessage.objects.filter(ticket_id=follow_up.id).exists()  # staff hear of it
    assert not OutboxMessage.objects.filter(ticket_id=follow_up.id, recipient__isnull=True)


def test_a_one_time_link_to_all_tickets_by_sms(cast, inquiry, settings):
    from notify.delivery import deliver_pending
    from tests.notify.conftest import Receiver, _start

    gateway = Receiver()
    server = _start(gateway)  # the SMS provider: a real HTTP server on 127.0.0.1
    settings.FLOWDESK_SMS_URL = gateway.url + "/sms/send"
    try:
        first = submit(phone="139 0000 1111", title="Printer jams")
        second = submit(phone="+86 139-0000-1111", email="", title="Scanner is slow")
        submit(name="李雷", phone="13900002222", email="lilei@example.cn", title="Not hers")
        asked = Client().post("/portal/link/?lang=zh-hans", {"phone": "13900001111"})
        assert asked.status_code == 200 and "我们已发送查看链接" in asked.content.decode()
        unknown = Client().post("/portal/link/?lang=zh-hans", {"phone": "13900009999"})
        assert unknown.content.decode().count("我们已发送查看链接") == 1  # the same answer
        assert Client().post("/portal/link/", {"phone": "call me"}).status_code == 400
        neither = Client().post("/portal/link/", {"email": "", "phone": ""})
        assert neither.status_code == 400 and "or your mobile number" in neither.content.decode()
        assert deliver_pending() == 1
    finally:
        server.shutdown()
        server.server_close()
    [sms] = gateway.received
    assert sms.path == "/sms/send" and sms.json()["to"] == "+8613900001111"
    text = sms.json()["content"]
    assert (
        text.startswith("您的工单：http://testserver/portal/tickets/") and "24 小时内有效" in text
    )
    link = re.search(r"http://testserver(/portal/tickets/[^/\s]+/)", text).group(1)
    html = Client().get(link).content.decode()
    assert first.number in html and second.number in html and "Not hers" not in html
    assert Client().get(link).status_code == 410  # once


def _link_page_queries(email: str) -> tuple[int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from intake.portal_links import _new_link

    _nonce, link = _new_link("http://testserver/", email=email)
    with CaptureQueriesContext(connection) as queries:
        html = Client().get(link.removeprefix("http://testserver")).content.decode()
    return len(queries), html


def test_the_list_of_all_tickets_costs_the_same_for_two_or_six(cast, inquiry):
    for n in range(2):
        submit(email="two@example.cn", phone=f"1390000100{n}", title=f"Two {n}")
    for n in range(6):
        submit(email="six@example.cn", phone=f"1390000200{n}", title=f"Six {n}")
    _link_page_queries("two@example.cn")  # the first page warms the per-version caches
    two, two_html = _link_page_queries("two@example.cn")
    six, six_html = _link_page_queries("six@example.cn")
    assert two_html.count("Two ") == 2 and six_html.count("Six ") == 6
    assert two == six, (two, six)
