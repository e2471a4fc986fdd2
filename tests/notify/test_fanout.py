"""Ticket events fan out to the notification rules by themselves, in the action's
transaction: who is told, on which channel, in which language, with which text."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction

from customers.actions import do_link_customer
from notify import drain, fanout
from notify.actions import do_set_preferences, do_subscribe_webhook
from notify.delivery import deliver_pending
from notify.fanout import run_pending_fanout
from notify.models import FanoutJob, InAppMessage, NotificationRule, OutboxMessage, RuleTemplate
from tests.conftest import _user, repair_start
from tickets import actions
from tickets.engine import record_event
from tickets.models import HumanTask, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(db):
    """The workbench cast (tests/conftest.py), with e-mail addresses."""
    people = {
        "alice": _user("alice", ["agents", "dispatchers"]),
        "tom": _user("tom", ["technicians"]),
        "bob": _user("bob", ["supervisors", "agents"]),
    }
    for name, user in people.items():
        user.email = f"{name}@flowdesk.test"
        user.save(update_fields=["email"])
    return people


def rows(**filters):
    run_pending_fanout()  # the worker's sweep (the tests' transaction never commits)
    return list(OutboxMessage.objects.filter(**filters).order_by("id"))


def open_task(ticket, bpmn_id=None):
    tasks = HumanTask.objects.filter(ticket=ticket, state__in=actions.OPEN_STATES)
    return tasks.get(bpmn_id=bpmn_id) if bpmn_id else tasks.get()


def start(crew, title, **identity):
    identity = {"name": "Wang Fang", "email": "wang.fang@example.cn", **identity}
    customer, _ = do_link_customer(identity)
    return actions.do_start_ticket(
        crew["alice"], "repair", repair_start(), title=title, customer=customer
    )


@pytest.fixture
def ticket(crew, repair):
    return start(crew, "电视无法开机")


def test_the_defaults_are_seeded_in_both_languages(db):
    keys = set(NotificationRule.objects.values_list("key", flat=True))
    assert {"assigned-to-you", "group-queue", "mentioned", "customer-replied"} <= keys
    assert {"public-reply", "ticket-accepted", "waiting-for-you", "ticket-resolved"} <= keys
    for rule in NotificationRule.objects.all():
        assert set(rule.templates.values_list("language", flat=True)) == {"zh-hans", "en"}


def test_a_new_ticket_confirms_to_the_customer_and_fills_the_group_queue(crew, repair):
    dan = User.objects.create_user("dan", is_staff=True)
    dan.groups.add(Group.objects.get(name="dispatchers"))
    ticket = start(crew, "电视无法开机")
    [mail] = rows(event_type="created")
    assert (mail.channel, mail.address, mail.recipient_id) == (
        "email",
        "wang.fang@example.cn",
        None,
    )
    assert mail.subject == f"[{ticket.number}] 我们已收到您的工单"
    assert "电视无法开机" in mail.body and f"/t/{ticket.tracking_token}/" in mail.body
    task = open_task(ticket)
    told = {r.recipient.username for r in rows(event_type__in=["assigned", "task_created"])}
    if task.assignee is not None:  # the round robin chose: that person hears of it
        assert told == {task.assignee.username}
    else:
        assert told == {"dan"}


def test_a_step_left_to_a_group_tells_its_members(ticket, crew):
    record_event(ticket, "task_created", name="Diagnose on site", candidate_groups=["technicians"])
    [row] = rows(event_type="task_created")
    assert (row.recipient, row.channel) == (crew["tom"], "inapp")
    assert row.subject == f"[{ticket.number}] 队列新工作：Diagnose on site"
    record_event(ticket, "task_created", candidate_groups=["technicians"], assignee="tom")
    assert len(rows(event_type="task_created")) == 1  # an assigned step: the assignee is told


def test_assigned_to_you_in_the_recipients_language(ticket, crew):
    do_set_preferences(crew["tom"], language="en")
    accept = open_task(ticket)
    ticket = actions.do_complete_task(crew["alice"], accept.id, {"accepted": True})
    schedule = open_task(ticket)
    data = {"visit_date": "2026-11-24", "technician": "tom"}
    actions.do_complete_task(crew["alice"], schedule.id, data)
    diagnose = open_task(ticket)
    assert diagnose.assignee.username == "tom"
    told = rows(event_type="assigned", recipient=crew["tom"])
    assert {r.channel for r in told} == {"inapp", "email"}
    # the step is named in both languages; each reader gets theirs
    assert diagnose.name == "Diagnose on site (检测)"
    assert all(r.subject == f"[{ticket.number}] Assigned to you: Diagnose on site" for r in told)
    # technician scheduled: the customer hears of it by e-mail, in Chinese
    [scheduled] = rows(event_type="task_completed", address="wang.fang@example.cn")
    assert scheduled.subject == f"[{ticket.number}] 已安排工程师上门"
    deliver_pending()
    inbox = InAppMessage.objects.get(user=crew["tom"], event_type="assigned")
    assert inbox.title.startswith(f"[{ticket.number}] Assigned to you") and inbox.ticket_id
    do_set_preferences(crew["tom"], language="zh-hans")
    record_event(ticket, "assigned", task=diagnose, assignee="tom")
    [*_, chinese] = rows(event_type="assigned", recipient=crew["tom"], channel="email")
    assert chinese.subject == f"[{ticket.number}] 新的待办：检测"


def test_conversation_rules(ticket, crew):
    accept = open_task(ticket)
    if accept.assignee is None:
        actions.do_claim_task(crew["alice"], accept.id)
    assert open_task(ticket).assignee == crew["alice"]
    with transaction.atomic():
        record_event(
            ticket,
            "message_posted",
            actor=crew["alice"],
            visibility="internal",
            author_kind="staff",
            mentions=["bob"],
            text="@bob could you call them?",
        )
    [mention_inapp, mention_mail] = rows(event_type="message_posted", recipient=crew["bob"])
    assert mention_inapp.subject == f"[{ticket.number}] alice 提到了您"
    assert "@bob could you call them?" in mention_mail.body
    assert not rows(event_type="message_posted", address="wang.fang@example.cn")  # internal

    record_event(
        ticket, "message_posted", actor=crew["alice"], visibility="public", author_kind="staff",
        text="We will come tomorrow.",
    )  # fmt: skip
    [to_customer] = rows(event_type="message_posted", address="wang.fang@example.cn")
    assert to_customer.body.startswith("We will come tomorrow.")

    record_event(
        ticket, "message_posted", visibility="public", author_kind="customer", text="OK, thanks"
    )
    told = rows(event_type="message_posted", recipient=crew["alice"])
    assert {r.channel for r in told} == {"inapp", "email"}  # alice holds the step
    assert all(r.subject == f"[{ticket.number}] 客户回复了" for r in told)


def test_waiting_for_you_and_resolved_reach_the_customer(ticket, crew):
    record_event(ticket, "info_requested", actor=crew["alice"], question="哪天方便上门？")
    [ask] = rows(event_type="info_requested")
    assert ask.address == "wang.fang@example.cn" and "哪天方便上门？" in ask.body
    record_event(ticket, "completed", actor=crew["alice"])
    [done] = rows(event_type="completed")
    assert done.subject == f"[{ticket.number}] 您的工单已解决"
    assert f"/t/{ticket.tracking_token}/" in done.body  # the rating link


def test_an_english_customer_gets_english(ticket, crew):
    Ticket.objects.filter(id=ticket.id).update(data={**ticket.data, "language": "en"})
    record_event(ticket, "info_requested", actor=crew["alice"], question="When may we come?")
    [mail] = rows(event_type="info_requested")
    assert mail.subject == f"[{ticket.number}] We need more information"
    assert "When may we come?" in mail.body


def test_a_disabled_rule_sends_nothing_and_an_edited_text_is_used(crew, repair):
    NotificationRule.objects.filter(key="ticket-accepted").update(enabled=False)
    RuleTemplate.objects.filter(rule__key="group-queue", language="zh-hans").update(
        subject="排队：{{ task }}"
    )
    ticket = start(crew, "x")
    assert not rows(event_type="created")
    record_event(ticket, "task_created", name="检测", candidate_groups=["technicians"])
    assert [r.subject for r in rows(event_type="task_created")] == ["排队：检测"]


def test_a_rolled_back_action_notifies_nobody(ticket, crew):
    before = len(rows())
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(ticket, "completed", actor=crew["alice"])
        raise RuntimeError("the action failed")
    assert len(rows()) == before and not FanoutJob.objects.exists()


def completed_mails():
    return OutboxMessage.objects.filter(event_type="completed", channel="email")


def test_the_request_leaves_the_job_to_the_worker(
    ticket, crew, settings, django_capture_on_commit_callbacks
):
    settings.FLOWDESK_NOTIFY_CELERY = False  # the embedded worker's setup (make run)
    rows()
    woken = []
    fanout.set_waker(lambda: woken.append(True))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_event(ticket, "completed", actor=crew["alice"])
    finally:
        fanout.set_waker(None)
    assert woken == [True]  # the worker is told at once...
    assert FanoutJob.objects.count() == 1 and not completed_mails()  # ...the request did nothing
    rows()  # the worker's sweep
    assert not FanoutJob.objects.exists() and completed_mails().count() == 1


def test_with_celery_the_commit_enqueues_the_job(
    ticket, crew, settings, django_capture_on_commit_callbacks
):
    from flowdesk.celery import app

    settings.FLOWDESK_NOTIFY_CELERY = True
    rows()
    drain.release()  # no drain is queued (another test or a bench may have left the flag)
    app.conf.task_always_eager = True  # the task runs where it is enqueued
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_event(ticket, "completed", actor=crew["alice"])
            assert FanoutJob.objects.count() == 1 and not completed_mails()
    finally:
        app.conf.task_always_eager = False
    assert not FanoutJob.objects.exists() and completed_mails().count() == 1


def test_fanout_inline_runs_the_job_right_after_the_commit(
    ticket, crew, settings, django_capture_on_commit_callbacks
):
    settings.FLOWDESK_FANOUT_INLINE = True
    rows()
    with django_capture_on_commit_callbacks(execute=True):
        record_event(ticket, "completed", actor=crew["alice"])
        assert FanoutJob.objects.count() == 1 and not completed_mails()
    assert not FanoutJob.objects.exists() and completed_mails().count() == 1


def test_a_failing_job_stays_queued_and_the_others_still_run(ticket, crew, caplog):
    rows()
    FanoutJob.objects.create(events=[{"id": 1, "kind": "completed", "ticket_id": ticket.id,
                                      "no_such_field": 1}])  # fmt: skip
    record_event(ticket, "completed", actor=crew["alice"])
    rows()
    assert completed_mails().count() == 1
    assert FanoutJob.objects.count() == 1 and "fan-out: job" in caplog.text


def test_lifecycle_webhooks_carry_masked_data(crew, repair, settings):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = True
    do_subscribe_webhook(
        url="http://127.0.0.1:9/hook", event_types=["ticket.created", "ticket.assigned"]
    )
    ticket = actions.do_start_ticket(crew["alice"], "repair", repair_start(), title="TV")
    [created] = rows(channel="webhook", event_type="ticket.created")
    assert created.payload["event"] == "ticket.created"
    assert created.payload["data"]["ticket"] == ticket.number
    assert created.payload["data"]["channel"] == "api"
    assert rows(channel="webhook", event_type="ticket.assigned")
    assert not rows(channel="webhook", event_type="task.completed")  # not subscribed


def test_a_message_webhook_is_masked_like_the_api_and_never_carries_notes(ticket, crew, settings):
    settings.FLOWDESK_WEBHOOK_ALLOW_PRIVATE = True
    do_subscribe_webhook(url="http://127.0.0.1:9/hook", event_types=["message.created"])
    phone = ticket.data["customer_phone"]
    record_event(ticket, "message_posted", actor=crew["alice"], visibility="internal",
                 author_kind="staff", text=f"note: call {phone}")  # fmt: skip
    record_event(ticket, "message_posted", actor=crew["alice"], visibility="public",
                 author_kind="staff", text=f"We will call {phone} tomorrow")  # fmt: skip
    [hook] = rows(channel="webhook")
    text = hook.payload["data"]["text"]
    assert text.startswith("We will call ") and phone not in text  # the phone is masked
    assert hook.payload["data"]["visibility"] == "public"


def test_the_job_written_in_the_steps_statement_carries_its_events_as_fan_out_later_does(
    ticket, crew
):
    """A step's job row is built by SQL from the new event rows (write_step): the same
    facts, in the same order, as the job `fan_out_later` builds from the events in Python."""
    from django.db import connection

    from tickets.models import TicketEvent

    if connection.vendor != "postgresql":
        pytest.skip("the job rides in the step's statement on PostgreSQL only")
    FanoutJob.objects.all().delete()
    actions.do_complete_task(crew["alice"], open_task(ticket).id, {"accepted": True})
    (job,) = FanoutJob.objects.all()
    wanted = fanout._interesting_kinds()
    events = TicketEvent.objects.filter(id__gte=job.events[0]["id"]).order_by("id")
    expected = [
        fanout._as_dict(
            fanout.EventFacts(
                id=e.pk,
                kind=e.kind,
                ticket_id=e.ticket_id,
                bpmn_id=e.bpmn_id or "",
                detail=e.detail or {},
                actor_id=e.actor_id,
                task_id=e.task_id,
            )
        )
        for e in events
        if e.kind in wanted
    ]
    assert len(expected) >= 2 and job.events == expected
    assert {e["kind"] for e in job.events} >= {"task_completed", "task_created"}
