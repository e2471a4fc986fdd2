"""Service levels: targets from the `sla` decision, warning and breach times in business
hours, who is warned at each level, and a clock that pauses while we wait for the customer.

Why a platform-level SLA sweep over HumanTask rows, not BPMN boundary timers
----------------------------------------------------------------------------
- Targets come from a DMN table (template x priority x tier) and are measured in the
  owning team's business hours. A BPMN timer knows wall-clock ISO durations only; it would
  need an absolute date computed by us anyway, frozen into the workflow state.
- The clock must pause (waiting for the customer) and follow reassignment, holiday edits
  and priority changes. In BPMN that means cancelling and re-arming boundary events, which
  a diagram cannot express without a loop around every user task.
- Every template gets the same three warnings and the escalation without an analyst
  drawing four boundary events on each user task of each uploaded diagram (or forgetting to).
- The sweep reads indexed HumanTask columns and never deserializes a workflow; warnings
  and escalation change who is notified and who holds the task, not the process flow.
Boundary timers stay the tool for process-specific flow (the repair template's
"diagnose" reminder, an interrupting auto-close): those change the path of the ticket.
Visibility: every warning/breach is a TicketEvent on the timeline, and the ticket page
shows each task's due_at and SLA level (the diagram can overlay the same columns).

Interface for the sweep (tickets owns the rows and the loop)
------------------------------------------------------------
One call when a task is created: `plan_sla(process_key, priority, tier, now, group=g,
user=assignee)` gives the targets (with the decision version for the timeline), the
calendar used, and both mark lists; `plan.due_at` is the resolution breach.
Per HumanTask: `sla_started_at`, `sla_level` (last level sent, 0..BREACH), `next_sla_at`
(indexed), `sla_paused_at` (None when running), `sla_paused` (business time paused so far).
1. When the task is created: `targets = sla_targets(key, priority, tier)`; `marks =
   due_times(calendar_for(group), started, targets)`; due_at = the BREACH mark,
   next_sla_at = marks[0].at.
2. The sweep takes rows with next_sla_at <= now and sla_paused_at IS NULL
   (FOR UPDATE SKIP LOCKED), computes `levels_due(marks, now, sla_level)`, sends the
   highest due warning to `warning_recipients(level, ...)`; at BREACH it escalates
   (`queries.escalation_for(group, assignee)`) and records the breach; then stores
   sla_level and `next_mark(marks, level)` (None: nothing left to fire).
3. Pause: set sla_paused_at, next_sla_at = None. Resume: sla_paused +=
   business_time_between(cal, paused_at, now); recompute marks with `paused=sla_paused`.
   Levels already sent are not sent again (sla_level only grows).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from org.calendar import add_business_time, business_time_between, schedule_of
from org.decisions import current_decision, evaluate_decision
from org.queries import calendar_for

DECISION_ID = "sla"
DECISION_FILE = "sla.dmn"
BREACH = 4  # the level after the three warnings
LEVELS = (1, 2, 3)
_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class SlaTargets:
    response: dt.timedelta  # business time to the first response
    resolution: dt.timedelta  # business time to resolution (task completion / ticket close)
    warn_at: tuple[float | None, ...]  # fraction of the target per warning level 1..3
    decision_version: str
    rule: int | None = None


class SlaMark(NamedTuple):
    level: int  # 1..3 warnings, BREACH
    at: dt.datetime  # UTC

    @property
    def is_breach(self) -> bool:
        return self.level == BREACH


class SlaConfigError(ValueError):
    pass


def _duration(value: Any, name: str) -> dt.timedelta:
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        raise SlaConfigError(f"sla decision: {name} must be a positive duration, got {value!r}")
    return value


def _fraction(value: Any, level: int) -> float | None:
    if value is None:
        return None  # this level is switched off
    fraction = Decimal(str(value))
    if not Decimal(0) < fraction <= Decimal(1):
        raise SlaConfigError(f"sla decision: warn_{level} must be in (0, 1], got {value}")
    return float(fraction)


def sla_targets(process_key: str, priority: int, customer_tier: str | None) -> SlaTargets | None:
    """Targets for a template x priority x tier, from the published `sla` decision (else
    dmn/sla.dmn). None when no rule matches: that template has no service level. Kept per
    decision version and inputs (every routed task asks; the table's answer cannot change
    without a new version)."""
    context = {
        "process_key": process_key or None,
        "priority": int(priority),
        "customer_tier": (customer_tier or "").strip() or None,
    }
    decision, version = current_decision(DECISION_ID, DECISION_FILE)
    key = (version, *context.values())
    kept = _TARGETS.get(key)
    if kept is not None and kept[0] is decision:  # the entry keeps the decision it came from
        return kept[1]
    targets = _targets(evaluate_decision(DECISION_ID, decision, version, context))
    if len(_TARGETS) >= _TARGETS_SIZE:
        _TARGETS.clear()
    _TARGETS[key] = (decision, targets)
    return targets


_TARGETS: dict[tuple, tuple[Any, SlaTargets | None]] = {}
_TARGETS_SIZE = 1024


def _targets(verdict) -> SlaTargets | None:
    if not verdict.matched:
        return None
    out = verdict.outputs
    return SlaTargets(
        response=_duration(out.get("response"), "response"),
        resolution=_duration(out.get("resolution"), "resolution"),
        warn_at=tuple(_fraction(out.get(f"warn_{n}"), n) for n in LEVELS),
        decision_version=verdict.version,
        rule=verdict.rule,
    )


@lru_cache(maxsize=1024)  # a few targets and fractions: three marks of every routed task
def _part(duration: dt.timedelta, fraction: float) -> dt.timedelta:
    micros = Decimal(duration // _MICROSECOND) * Decimal(str(fraction))
    return dt.timedelta(microseconds=int(micros.to_integral_value(ROUND_HALF_UP)))


def due_times(
    calendar,
    start: dt.datetime,
    targets: SlaTargets,
    *,
    kind: str = "resolution",
    paused: dt.timedelta = dt.timedelta(0),
) -> list[SlaMark]:
    """The warning marks and the breach, in business time from `start`, in firing order.
    `paused` is business time the clock stood still (see `paused_total`)."""
    if kind not in ("response", "resolution"):
        raise ValueError(f"kind must be 'response' or 'resolution', got {kind!r}")
    target = getattr(targets, kind)
    schedule = schedule_of(calendar)
    marks = [
        SlaMark(level, add_business_time(schedule, start, _part(target, fraction) + paused))
        for level, fraction in zip(LEVELS, targets.warn_at, strict=False)
        if fraction is not None
    ]
    marks.append(SlaMark(BREACH, add_business_time(schedule, start, target + paused)))
    return sorted(marks, key=lambda m: (m.at, m.level))


def levels_due(marks: Sequence[SlaMark], now: dt.datetime, sent_level: int) -> list[SlaMark]:
    """Marks that have come due and were not sent yet (several after a long outage: the
    sweep may send only the last)."""
    return [m for m in marks if m.at <= now and m.level > sent_level]


def next_mark(marks: Sequence[SlaMark], sent_level: int) -> SlaMark | None:
    """The next mark to fire after `sent_level` (its `at` is the row's next_sla_at)."""
    return next((m for m in marks if m.level > sent_level), None)


def warning_recipients(level: int, assignee=None, group=None, supervisor=None) -> list:
    """Level 1 the assignee, 2 the group, 3 and the breach the supervisor. Whoever is
    missing is replaced by the next wider audience (an unassigned task warns its group;
    a team without a supervisor hears it as a group)."""
    if level == 1:
        chain = (assignee, group, supervisor)
    elif level == 2:
        chain = (group, assignee, supervisor)
    elif level in (3, BREACH):
        chain = (supervisor, group, assignee)
    else:
        raise ValueError(f"no warning level {level}")
    return [next(r for r in chain if r is not None)] if any(chain) else []


def _merged(pauses: Iterable[tuple[dt.datetime, dt.datetime | None]], now: dt.datetime):
    spans = sorted((start, min(end or now, now)) for start, end in pauses)
    merged: list[list[dt.datetime]] = []
    for start, end in spans:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def paused_total(
    calendar, pauses: Iterable[tuple[dt.datetime, dt.datetime | None]], now: dt.datetime
) -> dt.timedelta:
    """Business time inside the pauses (pause, resume); an open pause (resume None) runs
    until `now`. Overlapping pauses count once; a pause over a night costs no business time."""
    schedule = schedule_of(calendar)
    return sum(
        (business_time_between(schedule, a, b) for a, b in _merged(pauses, now)),
        dt.timedelta(0),
    )


def remaining_after_pause(
    calendar,
    start: dt.datetime,
    target: dt.timedelta,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]],
    now: dt.datetime,
) -> dt.timedelta:
    """Business time left on a target at `now` with the clock stopped during the pauses
    (negative when overdue). Pauses before `start` do not count."""
    schedule = schedule_of(calendar)
    clipped = [(max(a, start), b if b is None else max(b, start)) for a, b in pauses]
    elapsed = business_time_between(schedule, start, now) - paused_total(schedule, clipped, now)
    return target - elapsed


@dataclass(frozen=True)
class SlaPlan:
    targets: SlaTargets
    calendar: Any  # the BusinessCalendar the clock runs on; None = 24x7
    response: list[SlaMark]
    resolution: list[SlaMark]

    @property
    def due_at(self) -> dt.datetime:
        return next(m.at for m in self.resolution if m.is_breach)

    def as_event_detail(self) -> dict:
        """JSON-ready record for the timeline (decision version and the computed times)."""
        return {
            "decision": {
                "id": DECISION_ID,
                "version": self.targets.decision_version,
                "rule": self.targets.rule,
            },
            "calendar": self.calendar.name if self.calendar is not None else None,
            "response": [[m.level, m.at.isoformat()] for m in self.response],
            "resolution": [[m.level, m.at.isoformat()] for m in self.resolution],
        }


def plan_sla(
    process_key: str,
    priority: int,
    customer_tier: str | None,
    start: dt.datetime,
    *,
    group=None,
    user=None,
    paused: dt.timedelta = dt.timedelta(0),
) -> SlaPlan | None:
    """Targets, calendar (the group's, else the user's, else "default", else 24x7) and the
    response and resolution marks from `start`. None when the template has no SLA."""
    targets = sla_targets(process_key, priority, customer_tier)
    if targets is None:
        return None
    calendar = calendar_for(group, user)
    schedule = schedule_of(calendar)
    return SlaPlan(
        targets=targets,
        calendar=calendar,
        response=due_times(schedule, start, targets, kind="response", paused=paused),
        resolution=due_times(schedule, start, targets, kind="resolution", paused=paused),
    )
