"""A bad ticket never stops a sweep: a poisoned timer, a ticket whose state cannot be
loaded, an SLA row that cannot be handled and an outbox row whose channel raises each get
an incident (or a delivery retry with backoff) while the sweep goes on with the others,
and the next sweep does not spin on them. Row claims use SKIP LOCKED on PostgreSQL."""

import datetime as dt
import json
import logging
import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from notify.actions import do_notify
from notify.delivery import deliver_pending
from notify.models import InAppMessage, OutboxMessage
from org import actions as org_actions
from tests.conftest import FIXTURES, deploy_file, repair_start
from tickets import actions, escalation, worker
from tickets.escalation import do_sweep_sla
from tickets.models import HumanTask, ProcessInstance, Ticket

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def timers(cast):
    deploy_file(FIXTURES / "reminder.bpmn")  # PT1S, then "follow_up"
    deploy_file(FIXTURES / "poisoned_timer.bpmn")  # first_delay, then delay, then "follow_up"
    return cast


def poisoned(user, delay=5):
    """A ticket whose second timer gets `delay` (not a duration text) once the first fires."""
    return actions.do_start_ticket(user, "poisoned_timer", {"first_delay": "PT1S", "delay": delay})


def followed_up(ticket) -> bool:
    return HumanTask.objects.filter(ticket_id=ticket.id, bpmn_id="follow_up").exists()


def incidents_of(ticket) -> int:
    return Ticket.objects.get(id=ticket.id).events.filter(kind="incident").count()


# ---------------------------------------------------------------- timers


def test_a_poisoned_timer_gets_an_incident_and_the_sweep_fires_the_good_ones(timers):
    bad = poisoned(timers["alice"])  # due first: the sweep meets it before the others
    good = [actions.do_start_ticket(timers["alice"], "reminder") for _ in range(2)]
    now = timezone.now() + dt.timedelta(minutes=1)

    assert actions.do_fire_due_timers(now=now) == 3
    assert all(followed_up(t) for t in good)
    bad = Ticket.objects.get(id=bad.id)
    assert bad.status == "active" and not followed_up(bad)
    assert bad.incident["bpmn_id"] == "wait"
    assert bad.incident["error"].startswith(
        "timer 'wait' expression 'delay' gave 5 (not a text), expected an ISO 8601 duration"
    )
    assert (
        "Traceback" not in bad.incident["error"] and "AttributeError" not in bad.incident["error"]
    )
    assert bad.next_timer_at is None  # nothing left to fire until the incident is retried
    assert incidents_of(bad) == 1

    assert actions.do_fire_due_timers(now=now + H) == 0  # the next sweep does not retry it
    assert incidents_of(bad) == 1


def test_a_dict_where_a_duration_belongs_is_an_incident_too(timers):
    bad = poisoned(timers["alice"], delay={"a": 1})
    actions.do_fire_due_timers(now=timezone.now() + dt.timedelta(minutes=1))
    error = Ticket.objects.get(id=bad.id).incident["error"]
    assert 'gave {"a": 1} (not a text)' in error and "such as 'PT4H'" in error


def test_a_poisoned_timer_can_be_retried_after_the_data_is_fixed(timers):
    bad = poisoned(timers["alice"], delay="soon")
    actions.do_fire_due_timers(now=timezone.now() + dt.timedelta(minutes=1))
    bad = Ticket.objects.get(id=bad.id)
    assert 'gave "soon" (Invalid duration)' in bad.incident["error"]

    bad = actions.do_retry_incident(timers["bob"], bad.id)  # same data: same incident
    assert bad.incident is not None and bad.next_timer_at is None and incidents_of(bad) == 2


def test_a_ticket_whose_state_cannot_be_loaded_backs_off_and_recovers(timers):
    bad = actions.do_start_ticket(timers["alice"], "reminder")
    good = actions.do_start_ticket(timers["alice"], "reminder")
    saved_state = bad.state
    ProcessInstance.objects.filter(ticket_id=bad.id).update(state='{"truncated')  # a damaged row
    now = timezone.now() + dt.timedelta(minutes=1)

    assert actions.do_fire_due_timers(now=now) == 1
    assert followed_up(good)
    bad = Ticket.objects.get(id=bad.id)
    assert bad.incident["source"] == "timer_sweep" and bad.incident["attempts"] == 1
    assert bad.incident["error"].startswith("the timer sweep could not fire this ticket's timers")
    assert bad.next_timer_at == now + dt.timedelta(seconds=60)

    assert actions.do_fire_due_timers(now=now + dt.timedelta(seconds=30)) == 0  # not yet
    assert actions.do_fire_due_timers(now=now + dt.timedelta(seconds=61)) == 0  # tried, failed
    bad = Ticket.objects.get(id=bad.id)
    assert bad.incident["attempts"] == 2 and incidents_of(bad) == 2
    assert bad.next_timer_at == now + dt.timedelta(seconds=61 + 120)  # backing off

    ProcessInstance.objects.filter(ticket_id=bad.id).update(state=saved_state)  # repaired
    assert actions.do_fire_due_timers(now=now + dt.timedelta(hours=1)) == 1
    bad = Ticket.objects.get(id=bad.id)
    assert followed_up(bad) and bad.incident is None
    assert bad.events.filter(kind="retried").get().detail == {"ok": True, "by": "timer_sweep"}


def test_a_sweep_incident_can_be_retried_by_hand_once_the_cause_is_fixed(timers):
    ticket = actions.do_start_ticket(timers["alice"], "reminder")
    saved_state = ticket.state
    ProcessInstance.objects.filter(ticket_id=ticket.id).update(state="")
    now = timezone.now() + dt.timedelta(minutes=1)
    actions.do_fire_due_timers(now=now)
    assert Ticket.objects.get(id=ticket.id).incident["source"] == "timer_sweep"

    ProcessInstance.objects.filter(ticket_id=ticket.id).update(state=saved_state)
    ticket = actions.do_retry_incident(timers["bob"], ticket.id)
    assert ticket.incident is None and ticket.next_timer_at is not None  # timers back
    assert actions.do_fire_due_timers(now=now) == 1 and followed_up(ticket)


def test_starting_a_ticket_that_reaches_a_poisoned_timer_is_not_a_500(timers):
    client = Client()
    client.force_login(timers["dave"])
    response = client.post(
        "/api/v1/tickets",
        json.dumps({"process": "poisoned_timer", "data": {"first_delay": {"a": 1}}}),
        content_type="application/json",
    )
    # as for a failing service task: the ticket exists and carries the incident
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["incident"]["bpmn_id"] == "first_wait"
    assert (
        "gave {" in body["incident"]["error"] and "ISO 8601 duration" in body["incident"]["error"]
    )
    assert Ticket.objects.get(number=body["number"]).next_timer_at is None


# ---------------------------------------------------------------- SLA


@pytest.fixture
def supervised(cast, repair):
    dispatchers = Group.objects.get(name="dispatchers")
    org_actions.do_save_group_profile(cast["dave"], dispatchers, supervisor=cast["bob"])
    return cast


def test_an_sla_row_that_cannot_be_handled_does_not_stop_the_others(supervised):
    good = actions.do_start_ticket(supervised["alice"], "repair", repair_start(customer_tier="VIP"))
    bad = actions.do_start_ticket(supervised["alice"], "repair", repair_start(customer_tier="VIP"))
    good_row, bad_row = (HumanTask.objects.get(ticket=t, bpmn_id="accept") for t in (good, bad))
    # a mark of a level the sweep does not know (written by an older SLA table, say)
    HumanTask.objects.filter(id=bad_row.id).update(sla_marks=[[7, bad_row.next_sla_at.isoformat()]])
    now = max(good_row.next_sla_at, bad_row.next_sla_at) + dt.timedelta(minutes=1)

    assert do_sweep_sla(now=now) == 1
    assert good.events.filter(kind="sla_warning").count() == 1
    bad = Ticket.objects.get(id=bad.id)
    assert bad.events.filter(kind="sla_warning").count() == 0
    assert bad.incident["source"] == "sla_sweep" and bad.incident["bpmn_id"] == "accept"
    assert "the SLA sweep could not handle" in bad.incident["error"]
    assert "no warning level 7" in bad.incident["error"]
    assert HumanTask.objects.get(id=bad_row.id).next_sla_at == now + dt.timedelta(seconds=60)

    assert do_sweep_sla(now=now) == 0  # not retried in a loop
    assert incidents_of(bad) == 1

    HumanTask.objects.filter(id=bad_row.id).update(sla_marks=bad_row.sla_marks)  # repaired
    assert do_sweep_sla(now=now + dt.timedelta(minutes=2)) == 1
    bad = Ticket.objects.get(id=bad.id)
    assert bad.incident is None and bad.events.filter(kind="sla_warning").count() == 1


# ---------------------------------------------------------------- outbox


def test_an_outbox_row_whose_channel_raises_is_retried_later_while_others_are_delivered(cast):
    with override_settings(EMAIL_BACKEND="flowdesk.no_such_mail_backend.Backend"):
        do_notify("ticket.created", addresses=[("email", "wang.fang@example.test")], subject="Hi")
        do_notify("ticket.created", users=[cast["alice"]], channels=["inapp"], subject="New")
        now = timezone.now()
        assert deliver_pending(now=now) == 1
    assert InAppMessage.objects.filter(user=cast["alice"], title="New").exists()
    email = OutboxMessage.objects.get(channel="email")
    assert (email.state, email.attempts) == ("failed", 1)
    assert email.last_error.startswith("email channel failed: ")
    assert email.next_attempt_at == now + dt.timedelta(seconds=30)

    assert deliver_pending(now=now + dt.timedelta(seconds=10)) == 0  # waits for its time
    assert OutboxMessage.objects.get(channel="email").attempts == 1
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        assert deliver_pending(now=now + dt.timedelta(seconds=31)) == 1
    assert OutboxMessage.objects.get(channel="email").state == "sent"


# ---------------------------------------------------------------- the embedded worker


@pytest.mark.django_db(transaction=True)
def test_one_worker_pass_runs_every_sweep_past_a_poisoned_ticket(timers):
    bad = poisoned(timers["alice"])
    good = actions.do_start_ticket(timers["alice"], "reminder")
    do_notify("ticket.created", users=[timers["alice"]], channels=["inapp"], subject="Hello")
    time.sleep(1.1)  # both PT1S timers are due by the engine's clock too

    assert worker._sweep_once() == {
        "do_fire_due_timers": True,
        "do_sweep_sla": True,
        "send_due_reminders": True,
        "run_pending_fanout": True,
        "deliver_pending": True,
        "deliver_digests": True,
        "do_rollup_pending": True,  # analytics, as often as beat would run it
        "do_rollup_today": True,
    }
    assert followed_up(good) and Ticket.objects.get(id=bad.id).incident["bpmn_id"] == "wait"
    assert InAppMessage.objects.filter(title="Hello").exists()


@pytest.mark.django_db(transaction=True)
def test_a_sweep_that_fails_does_not_skip_the_others_in_the_pass(timers, monkeypatch, caplog):
    good = actions.do_start_ticket(timers["alice"], "reminder")
    do_notify("ticket.created", users=[timers["alice"]], channels=["inapp"], subject="Hello")

    def broken_sla_sweep():
        raise RuntimeError("SLA tables unavailable")

    monkeypatch.setattr(escalation, "do_sweep_sla", broken_sla_sweep)
    time.sleep(1.1)
    with caplog.at_level(logging.ERROR, logger="flowdesk.worker"):
        outcome = worker._sweep_once()
    assert outcome["do_fire_due_timers"] and outcome["deliver_pending"]
    assert outcome["broken_sla_sweep"] is False
    assert followed_up(good) and InAppMessage.objects.filter(title="Hello").exists()
    assert "broken_sla_sweep failed" in caplog.text and "SLA tables unavailable" in caplog.text


# ---------------------------------------------------------------- PostgreSQL: locks, savepoints


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED and aborted-transaction recovery are PostgreSQL behaviour")


def test_a_database_error_on_one_ticket_is_undone_to_its_savepoint(timers):
    needs_postgresql()
    bad = actions.do_start_ticket(timers["alice"], "reminder")
    good = actions.do_start_ticket(timers["alice"], "reminder")
    # process data holding a NUL character: PostgreSQL refuses it in the ticket's JSON
    # column, which aborts the transaction unless the savepoint is rolled back
    state = bad.state.replace('"ticket_number"', '"note": "a\\u0000b", "ticket_number"', 1)
    assert state != bad.state
    ProcessInstance.objects.filter(ticket_id=bad.id).update(state=state)
    now = timezone.now() + dt.timedelta(minutes=1)

    assert actions.do_fire_due_timers(now=now) == 1
    assert followed_up(good)
    bad = Ticket.objects.get(id=bad.id)
    assert bad.incident["source"] == "timer_sweep" and not followed_up(bad)
    assert "\x00" not in bad.incident["error"]


@pytest.mark.django_db(transaction=True)
def test_a_ticket_locked_elsewhere_is_skipped_not_waited_for(timers):
    needs_postgresql()
    busy = actions.do_start_ticket(timers["alice"], "reminder")
    free = actions.do_start_ticket(timers["alice"], "reminder")
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with transaction.atomic():
            Ticket.objects.select_for_update().get(id=busy.id)
            locked.set()
            release.wait(20)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        now = timezone.now() + dt.timedelta(minutes=1)
        started = time.monotonic()
        assert actions.do_fire_due_timers(now=now) == 1
        assert time.monotonic() - started < 5  # no waiting on the held row
        assert followed_up(free) and not followed_up(busy)
    finally:
        release.set()
        holder.join()
    assert actions.do_fire_due_timers(now=timezone.now() + dt.timedelta(minutes=1)) == 1
    assert followed_up(busy)


# ---------------------------------------------------------------- the engine's timer check


def poisoned_process(kind: str):
    """poisoned_timer.bpmn with its first timer a timeDate or timeCycle of `first_delay`."""
    from bpmn.specs import compile_bundle

    text = (FIXTURES / "poisoned_timer.bpmn").read_text()
    text = text.replace(
        "<bpmn:timeDuration>first_delay</bpmn:timeDuration>",
        f"<bpmn:{kind}>first_delay</bpmn:{kind}>",
    )
    return compile_bundle("poisoned_timer.bpmn", text, {})


@pytest.mark.parametrize(
    "kind, value, said",
    [
        ("timeDate", 5, "gave 5 (not a text), expected an ISO 8601 date-time text"),
        ("timeDate", "PT4H", "(a duration where a date-time was expected)"),
        ("timeDate", "someday", 'gave "someday" (Invalid isoformat string'),
        (
            "timeCycle",
            ["R3", "PT1H"],
            'gave ["R3", "PT1H"] (not a text), expected an ISO 8601 '
            "repeating interval text such as 'R3/PT1H'",
        ),
        ("timeDuration", "P1X", 'gave "P1X" (Invalid duration)'),
    ],
)
def test_every_timer_kind_reports_a_bad_value_as_an_incident(kind, value, said):
    from bpmn import runtime

    process = poisoned_process(kind)
    workflow, result = runtime.start(process, {"first_delay": value})
    assert result.incident is not None and result.incident.bpmn_id == "first_wait"
    assert said in result.incident.error
    assert runtime.next_timer_at(workflow) is None


def test_a_time_date_given_as_a_datetime_is_taken():
    from bpmn import runtime

    at = dt.datetime(2030, 1, 2, 3, 4, 5)  # naive: read as UTC
    workflow, result = runtime.start(poisoned_process("timeDate"), {"first_delay": at})
    assert result.incident is None
    assert runtime.next_timer_at(workflow) == at.replace(tzinfo=dt.UTC)
