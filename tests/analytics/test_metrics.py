"""Every metric on a generated history with known answers; rollup + live = recomputation."""

import datetime as dt

import pytest

from analytics.actions import do_rollup, do_rollup_pending
from analytics.models import COUNTERS, DailyMetric, RolledDay
from analytics.queries import Report, backlog, compute_day, derived, empty, low_ratings
from tests.analytics.history import FIRST, LAST, at, build

H = 3600


@pytest.fixture
def history(cast, repair):
    return build(repair, cast)


def test_totals(history):
    m = derived(Report(FIRST, LAST).total())
    assert (m["created"], m["resolved"]) == (3, 2)
    assert m["resolution_rate"] == pytest.approx(200 / 3)
    assert m["reopen_rate"] == 50
    assert m["first_response_h"] == pytest.approx((65 + 3) / 2)
    assert m["resolution_h"] == pytest.approx((65 + 24.5) / 2)
    # A: Fri 17-18 + Mon 9-10 (a night and a weekend skipped); B: Mon 9-18 + Tue 9-9:30.
    assert m["resolution_business_h"] == pytest.approx((2 + 9.5) / 2)
    assert m["sla_compliance"] == 50
    assert (m["warnings_1"], m["warnings_2"], m["breaches"]) == (1, 0, 1)
    assert (m["ratings"], m["csat"]) == (2, 3.5)
    total = Report(FIRST, LAST).total()
    assert [total[f"rating_{s}"] for s in range(1, 6)] == [0, 1, 0, 0, 1]


def test_per_agent_group_channel_tier_template(history):
    report = Report(FIRST, LAST)
    agents = {k: derived(v) for k, v in report.by("agent").items()}
    assert agents["alice"]["resolved"] == 1 and agents["alice"]["csat"] == 5
    assert agents["alice"]["first_response_h"] == pytest.approx(65)
    assert agents["tom"]["resolved"] == 1 and agents["tom"]["csat"] == 2
    assert agents["tom"]["first_response_h"] == pytest.approx(3)
    assert agents["tom"]["breaches"] == 1 and agents["tom"]["sla_compliance"] == 50
    groups = report.by("group")
    assert groups["technicians"]["resolved"] == 1 and groups["agents"]["resolved"] == 1
    channels = report.by("channel")
    assert (channels["webform"]["created"], channels["webform"]["resolved"]) == (2, 1)
    assert (channels["phone"]["created"], channels["phone"]["resolved"]) == (1, 1)
    tiers = report.by("tier")
    assert tiers["gold"]["resolved"] == 1 and tiers[""]["resolved"] == 1
    assert tiers["standard"]["created"] == 1
    assert report.by("template")["repair"]["created"] == 3


def test_node_durations(history):
    nodes = Report(FIRST, LAST).by("node")
    assert set(nodes) == {"repair/diagnose", "repair/repair"}
    diagnose, repair_step = nodes["repair/diagnose"], nodes["repair/repair"]
    assert diagnose["tasks_done"] == 2
    assert diagnose["task_seconds"] / 2 == pytest.approx((65 + 3) / 2 * H)
    assert repair_step["task_seconds"] == pytest.approx(21.5 * H)
    assert (repair_step["breaches"], repair_step["warnings_1"]) == (1, 1)
    assert (repair_step["sla_tasks"], repair_step["sla_breached_tasks"]) == (1, 1)


def test_periods(history):
    report = Report(FIRST, LAST)
    days = report.series("day")
    assert [d.isoformat() for d in days] == [
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
        "2026-11-23",
        "2026-11-24",
    ]
    assert [c["created"] for c in days.values()] == [1, 0, 0, 1, 1]
    assert [c["resolved"] for c in days.values()] == [0, 0, 0, 1, 1]
    weeks = report.series("week")  # ISO weeks start on Monday
    assert {d.isoformat(): c["created"] for d, c in weeks.items()} == {
        "2026-11-16": 1,
        "2026-11-23": 2,
    }
    months = report.series("month")
    assert list(months) == [dt.date(2026, 11, 1)] and months[dt.date(2026, 11, 1)]["resolved"] == 2


def test_days_before_the_first_ticket_are_not_computed(history):
    report = Report(FIRST - dt.timedelta(days=10), LAST)
    assert report.live_days[0] == FIRST
    assert derived(report.total())["created"] == 3


def test_first_response_counts_only_the_first(history):
    """A later task completion of B on Tue is not a first response."""
    tuesday = compute_day(LAST)
    assert tuesday[("all", "")]["responses"] == 0
    assert compute_day(dt.date(2026, 11, 23))[("all", "")]["responses"] == 2


def test_backlog_and_low_ratings(history):
    counts = backlog(now=at(26, 12))
    assert counts["total"] == 1 and counts["d1_3"] == 1 and counts["lt1d"] == 0
    low = low_ratings(FIRST, LAST)
    assert [(e.ticket.number, e.score) for e in low] == [("SV-B", 2)]


def _sums(rows_by_day, dimension):
    out = {}
    for rows in rows_by_day:
        for (dim, key), counters in rows.items():
            if dim == dimension:
                target = out.setdefault(key, empty())
                for name in COUNTERS:
                    target[name] += counters[name]
    return out


@pytest.mark.parametrize(
    "dimension", ["all", "agent", "group", "template", "channel", "tier", "node"]
)
def test_rollup_plus_live_equals_recomputation(history, dimension):
    days = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    full = _sums([compute_day(d) for d in days], dimension)
    for day in days[:-1]:  # the last day stays live
        do_rollup(day)
    assert DailyMetric.objects.filter(day=dt.date(2026, 11, 23)).exists()
    report = Report(FIRST, LAST)
    assert report.live_days == [LAST]
    mixed = report.by(dimension)
    assert mixed.keys() == full.keys()
    for key in full:
        for name in COUNTERS:
            assert mixed[key][name] == pytest.approx(full[key][name]), (key, name)


def test_rollup_is_idempotent_and_only_for_finished_days(history):
    do_rollup(dt.date(2026, 11, 23))
    count = DailyMetric.objects.count()
    do_rollup(dt.date(2026, 11, 23))
    assert DailyMetric.objects.count() == count
    from analytics.queries import local_today

    with pytest.raises(ValueError):
        do_rollup(local_today())


def test_rollup_pending_catches_up(history):
    rolled = do_rollup_pending(limit=400)
    assert dt.date(2026, 11, 24) in rolled and RolledDay.objects.filter(day=LAST).exists()
    assert do_rollup_pending(limit=400) == []
    assert derived(Report(FIRST, LAST).total())["created"] == 3


def test_rollup_command(history):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("rollup_analytics", "--day", "2026-11-23", stdout=out)
    assert "2026-11-23:" in out.getvalue() and RolledDay.objects.filter(day="2026-11-23").exists()
    with pytest.raises(CommandError):
        call_command("rollup_analytics", "--day", "not-a-day")
    call_command("rollup_analytics", stdout=out)
    assert RolledDay.objects.filter(day=LAST).exists()


@pytest.mark.parametrize("day", [dt.date(2026, 11, 23), LAST])
def test_ranges_add_up_to_the_day(history, day):
    from analytics.queries import compute_range, local_day_bounds

    start, end = local_day_bounds(day)
    for cut in (at(day.day, 9, 30), at(day.day, 10, 30), at(day.day, 12)):
        parts = _sums([compute_range(start, cut), compute_range(cut, end)], "agent")
        whole = _sums([compute_day(day)], "agent")
        assert parts.keys() == whole.keys()
        for key in whole:
            for name in COUNTERS:
                assert parts[key][name] == pytest.approx(whole[key][name]), (cut, key, name)


def test_today_partial_rollup_plus_the_minutes_since(cast, repair):
    """The sweep rolls today up to a point; the dashboard adds what happened since."""
    from django.utils import timezone

    from analytics.actions import do_rollup_today
    from analytics.queries import local_day_bounds, local_today
    from tests.analytics import history as h

    today = local_today()
    start = local_day_bounds(today)[0]
    now = timezone.now()
    if now - start < dt.timedelta(minutes=10):
        pytest.skip("too close to local midnight")
    first = h._ticket(repair, "SV-T1", "email", start + dt.timedelta(minutes=1))
    h._event(first, "rated", start + dt.timedelta(minutes=2), score=4)
    do_rollup_today(now=start + dt.timedelta(minutes=3))
    assert RolledDay.objects.get(day=today).until is not None
    second = h._ticket(repair, "SV-T2", "email", start + dt.timedelta(minutes=4))
    h._event(second, "rated", start + dt.timedelta(minutes=5), score=2)
    report = Report(today, today)
    assert report.partial and report.live_days == []
    total = report.total()
    assert (total["created"], total["ratings"], total["rating_sum"]) == (2, 2, 6)
    assert report.by("channel")["email"]["created"] == 2
    assert list(report.series("day").values())[0]["created"] == 2
    # Once the day is over, the pending sweep replaces the partial rows.
    assert today not in do_rollup_pending(limit=400)  # today is not over
