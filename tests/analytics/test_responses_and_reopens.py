"""A public staff reply is a first response; a reopen from the portal feeds the reopen
rate; the embedded worker rolls the metrics up as Celery beat would."""

import datetime as dt
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from analytics.actions import do_rollup_pending, do_rollup_today
from analytics.models import DailyMetric, RolledDay
from analytics.queries import Report, compute_day, derived, local_today
from intake.actions import WebformSubmission, do_submit_webform
from tests.analytics import history as h
from tests.conftest import PROCESSES, deploy_file
from tickets import actions, operations
from tickets.models import HumanTask, Ticket

pytestmark = pytest.mark.django_db
H = 3600


def _message(ticket, when, actor, *, author_kind="staff", visibility="public"):
    h._event(
        ticket, "message_posted", when, actor=actor, author_kind=author_kind, visibility=visibility
    )


def test_a_public_staff_reply_is_the_first_response(cast, repair):
    from django.contrib.auth.models import Group

    alice, bob = cast["alice"], cast["bob"]
    agents = Group.objects.get(name="agents")
    # Replied by bob at 09:30; before it an internal note and the customer's own message.
    replied = h._ticket(repair, "SV-R1", "email", h.at(10, 9))
    _message(replied, h.at(10, 9, 10), alice, visibility="internal")
    _message(replied, h.at(10, 9, 20), None, author_kind="customer")
    _message(replied, h.at(10, 9, 30), bob)
    h._task(replied, "diagnose", "Diagnose", agents, h.at(10, 9), h.at(10, 11), alice)
    # A step completed by alice at 10:00 came first; bob's reply after it is no response.
    worked = h._ticket(repair, "SV-R2", "email", h.at(10, 9))
    h._task(worked, "diagnose", "Diagnose", agents, h.at(10, 9), h.at(10, 10), alice)
    _message(worked, h.at(10, 10, 30), bob)
    # Answered the evening before: nothing on the 10th is its first response.
    earlier = h._ticket(repair, "SV-R3", "email", h.at(9, 17))
    _message(earlier, h.at(9, 18), bob)
    h._task(earlier, "diagnose", "Diagnose", agents, h.at(9, 17), h.at(10, 9, 15), alice)

    tenth = compute_day(dt.date(2026, 11, 10))
    assert tenth[("all", "")]["responses"] == 2
    assert tenth[("all", "")]["response_seconds"] == pytest.approx(0.5 * H + 1 * H)
    assert tenth[("agent", "bob")]["responses"] == 1
    assert tenth[("agent", "bob")]["response_seconds"] == pytest.approx(0.5 * H)
    assert tenth[("agent", "alice")]["responses"] == 1
    assert tenth[("agent", "alice")]["response_seconds"] == pytest.approx(1 * H)
    ninth = compute_day(dt.date(2026, 11, 9))
    assert ninth[("all", "")]["responses"] == 1
    assert ninth[("agent", "bob")]["response_seconds"] == pytest.approx(1 * H)
    report = derived(Report(dt.date(2026, 11, 9), dt.date(2026, 11, 10)).total())
    assert report["first_response_h"] == pytest.approx((0.5 + 1 + 1) / 3)


@pytest.fixture
def inquiry(db, settings):
    settings.FLOWDESK_RATE_NAMESPACE = f"test-rate:{uuid.uuid4().hex}"
    deploy_file(PROCESSES / "follow_up.bpmn")
    return deploy_file(PROCESSES / "inquiry.bpmn")


def _resolved(cast, name, phone, email):
    ticket = do_submit_webform(
        "inquiry",
        WebformSubmission(name, phone, email, "Printer jams", "The printer jams."),
        {},
        channel=Ticket.Channel.WEBFORM,
    )
    task = HumanTask.objects.get(ticket=ticket, state__in=actions.OPEN_STATES)
    data = {"answer": "Replace the roller.", "resolved": True}
    return actions.do_complete_task(cast["bob"], task.id, data)


def test_a_reopen_from_the_portal_is_counted_in_the_reopen_rate(cast, inquiry, settings):
    settings.FLOWDESK_REOPEN_DAYS = 3
    today = local_today()
    fresh = _resolved(cast, "韩梅梅", "13900001111", "meimei@example.cn")
    late = _resolved(cast, "李雷", "13900002222", "lilei@example.cn")
    four_days_ago = timezone.now() - dt.timedelta(days=4)
    Ticket.objects.filter(id=late.id).update(
        created_at=four_days_ago - dt.timedelta(hours=1), closed_at=four_days_ago
    )

    assert Client().post(f"/t/{late.tracking_token}/reopen/", {"reason": "x"}).status_code == 409
    done = Client().post(f"/t/{fresh.tracking_token}/reopen/", {"reason": "Jams again"})
    assert done.status_code == 302

    week = Report(today - dt.timedelta(days=6), today)
    total = derived(week.total())
    assert (total["resolved"], week.total()["reopened"], total["reopen_rate"]) == (2, 1, 50)
    templates = week.by("template")
    assert templates["inquiry"]["reopened"] == 1 and templates["follow_up"]["created"] == 1
    assert week.by("channel")["webform"]["reopened"] == 1
    # The late ticket's day: resolved there, never reopened.
    late_day = timezone.localdate(four_days_ago)
    assert Report(late_day, late_day).total()["reopened"] == 0
    assert derived(Report(today, today).total())["reopen_rate"] == 100


@pytest.mark.django_db(transaction=True)  # the worker closes connections between sweeps
def test_the_embedded_worker_rolls_the_metrics_up(cast, repair, monkeypatch):
    from tickets import worker

    built = h.build(repair, cast)
    periodic = {s.__name__: s for s in worker.EXTRA_SWEEPS if isinstance(s, worker.Every)}
    assert periodic["do_rollup_pending"].sweep is do_rollup_pending
    assert periodic["do_rollup_today"].sweep is do_rollup_today
    assert (periodic["do_rollup_pending"].seconds, periodic["do_rollup_today"].seconds) == (
        3600,
        300,
    )
    for sweep in periodic.values():
        monkeypatch.setattr(sweep, "_last", None)  # as at the worker's start

    outcome = worker._sweep_once()
    assert outcome["do_rollup_pending"] and outcome["do_rollup_today"]
    rolled = set(RolledDay.objects.filter(until__isnull=True).values_list("day", flat=True))
    assert {h.FIRST, dt.date(2026, 11, 23), h.LAST} <= rolled
    monday = DailyMetric.objects.get(day=dt.date(2026, 11, 23), dimension="all", key="")
    assert (monday.created, monday.resolved, monday.responses) == (1, 1, 2)
    today = RolledDay.objects.get(day=local_today())
    assert today.until is not None

    # A ticket now: the next pass (2 s later) leaves the rollups to their own rhythm.
    operations.do_post_message(cast["dave"], built["c"].id, "We are on it.", public=True)
    worker._sweep_once()
    assert RolledDay.objects.get(day=local_today()).until == today.until
    do_rollup_today()
    assert derived(Report(local_today(), local_today()).total())["first_response_h"] is not None
