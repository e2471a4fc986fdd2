"""Service levels from dmn/sla.dmn, warning and breach times in business hours of the
"shanghai" calendar (Mon-Fri 09-12, 13-18), who hears each warning, and the paused clock.
Mon 2026-09-14 is a plain working Monday."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from definitions.decisions import do_create_decision_versions
from org.sla import (
    BREACH,
    SlaConfigError,
    SlaMark,
    SlaTargets,
    due_times,
    levels_due,
    next_mark,
    paused_total,
    plan_sla,
    remaining_after_pause,
    sla_targets,
    warning_recipients,
)

SH = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
DMN_FILE = Path(settings.DMN_DIR) / "sla.dmn"


@pytest.fixture
def org(org_of_the_module):
    """The organization, made once for this module's tests (see org_made_once)."""
    return org_of_the_module


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("process", "priority", "tier", "response", "resolution", "warn_at", "rule"),
    [
        ("repair", 4, "VIP", 30 * M, 8 * H, (0.5, 0.8, 1.0), 1),
        ("repair", 3, "standard", 1 * H, 8 * H, (0.5, 0.8, 1.0), 2),
        ("repair", 2, "gold", 2 * H, 16 * H, (0.5, 0.8, 1.0), 3),
        ("repair", 1, "gold", 2 * H, 24 * H, (0.5, 0.8, 1.0), 4),
        ("repair", 1, "standard", 4 * H, 40 * H, (0.5, 0.8, 1.0), 5),
        ("repair", 0, None, 8 * H, 80 * H, (0.5, 0.8, 1.0), 6),
        ("complaint", 4, "VIP", 1 * H, 8 * H, (0.5, 0.75, 0.9), 7),
        ("complaint", 1, "gold", 2 * H, 24 * H, (0.5, 0.75, 0.9), 8),
        ("install", 4, "standard", 1 * H, 8 * H, (0.5, 0.8, 1.0), 9),
        ("install", 3, "gold", 2 * H, 16 * H, (0.5, 0.8, 1.0), 10),
        ("install", 1, "gold", 4 * H, 24 * H, (0.5, 0.8, 1.0), 11),
        ("install", 1, "", 8 * H, 40 * H, (0.5, 0.8, 1.0), 12),
    ],
)
def test_targets_per_template_priority_and_tier(
    db, process, priority, tier, response, resolution, warn_at, rule
):
    targets = sla_targets(process, priority, tier)
    assert (targets.response, targets.resolution, targets.warn_at) == (
        response,
        resolution,
        warn_at,
    )
    assert targets.rule == rule and targets.decision_version.startswith("file:")


def _published(xml: str, admin=None) -> None:
    assert xml != DMN_FILE.read_text()
    do_create_decision_versions("sla.dmn", xml, admin, publish=True)


def test_a_published_sla_version_replaces_the_file(org):
    xml = DMN_FILE.read_text().replace(
        '<outputEntry id="sla_r5_o2"><text>duration("PT40H")</text>',
        '<outputEntry id="sla_r5_o2"><text>duration("PT20H")</text>',
    )
    _published(xml, org.admin)
    targets = sla_targets("repair", 1, "standard")
    assert (targets.resolution, targets.decision_version) == (20 * H, "v1")


def test_targets_follow_each_publish(org):
    """The targets are kept per decision version: asked before and after each change, every
    answer is the current version's."""
    assert sla_targets("repair", 1, "standard").resolution == 40 * H  # the file
    for hours, version in ((20, "v1"), (30, "v2")):
        _published(
            DMN_FILE.read_text().replace(
                '<outputEntry id="sla_r5_o2"><text>duration("PT40H")</text>',
                f'<outputEntry id="sla_r5_o2"><text>duration("PT{hours}H")</text>',
            ),
            org.admin,
        )
        targets = sla_targets("repair", 1, "standard")
        assert (targets.resolution, targets.decision_version) == (hours * H, version)
    assert sla_targets("repair", 1, "standard").resolution == 30 * H  # asked again: kept


def test_a_template_without_a_matching_rule_has_no_sla(org):
    xml = DMN_FILE.read_text()
    start = xml.index('<rule id="sla_r12">')
    _published(xml[:start] + xml[xml.index("</rule>", start) + len("</rule>") :], org.admin)
    assert sla_targets("install", 1, None) is None
    assert sla_targets("repair", 1, None).resolution == 40 * H


def test_a_warning_level_outside_the_target_is_refused(org):
    xml = DMN_FILE.read_text().replace(
        '<outputEntry id="sla_r12_o3"><text>0.5</text>',
        '<outputEntry id="sla_r12_o3"><text>1.5</text>',
    )
    _published(xml, org.admin)
    with pytest.raises(SlaConfigError, match="warn_1"):
        sla_targets("install", 1, None)


def test_three_warnings_and_the_breach_in_business_hours(org):
    targets = sla_targets("repair", 1, "standard")  # 40 business hours
    marks = due_times(org.calendar, sh(2026, 9, 14, 10), targets)
    assert marks == [
        SlaMark(1, sh(2026, 9, 16, 15)),  # 20h: Mon 7h, Tue 8h, Wed 09-12 and 13-15
        SlaMark(2, sh(2026, 9, 18, 10)),  # 32h: Mon 7h, Tue-Thu 24h, Fri 09-10
        SlaMark(3, sh(2026, 9, 21, 10)),  # 40h: the weekend does not count
        SlaMark(BREACH, sh(2026, 9, 21, 10)),
    ]
    assert all(m.at.tzinfo == dt.UTC for m in marks)
    assert marks[-1].is_breach and not marks[0].is_breach


def test_response_marks_and_custom_fractions(org):
    targets = SlaTargets(4 * H, 40 * H, (0.25, None, 0.9), "test")
    marks = due_times(org.calendar, sh(2026, 9, 14, 10), targets, kind="response")
    assert marks == [
        SlaMark(1, sh(2026, 9, 14, 11)),  # 25% of 4h
        SlaMark(3, sh(2026, 9, 14, 14, 36)),  # 90% = 3h36m, lunch skipped
        SlaMark(BREACH, sh(2026, 9, 14, 15)),
    ]
    with pytest.raises(ValueError, match="kind"):
        due_times(org.calendar, sh(2026, 9, 14, 10), targets, kind="reply")


def test_the_sweep_sends_each_level_once(org):
    marks = due_times(org.calendar, sh(2026, 9, 14, 10), sla_targets("repair", 1, "standard"))
    assert levels_due(marks, sh(2026, 9, 16, 14, 59), 0) == []
    assert [m.level for m in levels_due(marks, sh(2026, 9, 16, 15), 0)] == [1]
    assert levels_due(marks, sh(2026, 9, 16, 15), 1) == []
    assert next_mark(marks, 1) == SlaMark(2, sh(2026, 9, 18, 10))
    # After an outage every missed level is due at once; the last one is the breach.
    assert [m.level for m in levels_due(marks, sh(2026, 9, 22, 9), 1)] == [2, 3, BREACH]
    assert next_mark(marks, BREACH) is None


def test_warning_recipients_widen_with_each_level(org):
    tom, bob = org.people["tom"], org.people["bob"]
    technicians = org.groups["technicians"]
    assert warning_recipients(1, tom, technicians, bob) == [tom]
    assert warning_recipients(2, tom, technicians, bob) == [technicians]
    assert warning_recipients(3, tom, technicians, bob) == [bob]
    assert warning_recipients(BREACH, tom, technicians, bob) == [bob]
    # Missing people: an unassigned task warns its group; no supervisor: the group hears it.
    assert warning_recipients(1, None, technicians, bob) == [technicians]
    assert warning_recipients(3, tom, technicians, None) == [technicians]
    assert warning_recipients(2, tom, None, None) == [tom]
    assert warning_recipients(1, None, None, None) == []
    with pytest.raises(ValueError):
        warning_recipients(5, tom, technicians, bob)


def test_a_pause_over_the_night_stops_the_clock_only_in_business_hours(org):
    cal = org.calendar
    start = sh(2026, 9, 14, 10)
    pauses = [(sh(2026, 9, 14, 17), sh(2026, 9, 15, 10))]  # waiting for the customer
    paused = paused_total(cal, pauses, sh(2026, 9, 15, 11))
    assert paused == 2 * H  # Mon 17-18 and Tue 09-10; the night costs nothing
    # Elapsed at Tue 11:00: Mon 7h + Tue 2h = 9h, 2h of it paused: 33h of 40h left.
    remaining = remaining_after_pause(cal, start, 40 * H, pauses, sh(2026, 9, 15, 11))
    assert remaining == 33 * H
    marks = due_times(cal, start, sla_targets("repair", 1, "standard"), paused=paused)
    # The breach moves from Mon 09-21 10:00 by two business hours; it lands on the lunch
    # break and stays at 12:00.
    assert marks[-1] == SlaMark(BREACH, sh(2026, 9, 21, 12))
    later = due_times(cal, start, sla_targets("repair", 1, "standard"), paused=3 * H)
    assert later[-1] == SlaMark(BREACH, sh(2026, 9, 21, 14))  # the third hour is after lunch


def test_an_open_pause_runs_until_now_and_overlaps_count_once(org):
    cal = org.calendar
    start = sh(2026, 9, 14, 9)
    pauses = [(sh(2026, 9, 14, 10), sh(2026, 9, 14, 11)), (sh(2026, 9, 14, 10, 30), None)]
    assert paused_total(cal, pauses, sh(2026, 9, 14, 14)) == 3 * H  # 10-12, 13-14
    assert remaining_after_pause(cal, start, 4 * H, pauses, sh(2026, 9, 14, 14)) == 3 * H
    # A pause recorded before the clock started does not count.
    early = [(sh(2026, 9, 11, 9), sh(2026, 9, 14, 10))]
    assert remaining_after_pause(cal, start, 4 * H, early, sh(2026, 9, 14, 11)) == 3 * H
    # Overdue shows as negative time left.
    assert remaining_after_pause(cal, start, 1 * H, [], sh(2026, 9, 14, 11)) == -1 * H


def test_one_call_plans_a_task_on_its_groups_calendar(org):
    from org import actions

    technicians = org.groups["technicians"]
    actions.do_save_group_profile(org.admin, technicians, calendar=org.calendar)
    plan = plan_sla("repair", 2, "gold", sh(2026, 9, 18, 17), group=technicians)
    # High priority repair: respond in 2h, resolve in 16h, from Friday 17:00.
    assert plan.calendar == org.calendar
    assert plan.response[-1] == SlaMark(BREACH, sh(2026, 9, 21, 10))
    assert plan.due_at == sh(2026, 9, 22, 17)  # Fri 1h, Mon 8h, Tue 09-12 and 13-17
    detail = plan.as_event_detail()
    assert detail["calendar"] == "shanghai" and detail["decision"]["rule"] == 3
    # A group without a calendar runs 24x7: the same plan ends 16 wall-clock hours later.
    around_the_clock = plan_sla(
        "repair", 2, "gold", sh(2026, 9, 18, 17), group=org.groups["finance"]
    )
    assert around_the_clock.calendar is None
    assert around_the_clock.due_at == sh(2026, 9, 19, 9)
    assert plan_sla("repair", 2, "gold", sh(2026, 9, 18, 17)).calendar is None
