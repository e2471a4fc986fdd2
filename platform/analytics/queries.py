"""Read paths of the dashboard: metrics from the event log, tasks and tickets.

`compute_day(day)` turns one local day of history into counters per dimension and key
(what `do_rollup` stores); `Report` sums the stored rows of rolled-up days (ORM
aggregates) and computes the other days live, so rollup + live equals a full
recomputation. Attribution rules, so a closed day never changes:
- created, reopened: the ticket's template, channel and customer tier;
- first response (the first task completion or public staff reply, counted on the day it
  happens): also the responding agent and the group of the completed task;
- resolution (status completed, counted on the day it closes) and ratings: also the
  resolver, i.e. who completed the ticket's last task before it closed, and its group;
- SLA and node rows: the task's own agent and group, keyed by template/BPMN id.
Business-hours durations run on the "default" business calendar (24x7 without one)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from analytics.models import COUNTERS, FLOAT_COUNTERS, DailyMetric, RolledDay
from org.calendar import business_time_between, schedule_of
from org.queries import calendar_for
from org.sla import BREACH
from tickets.models import HumanTask, Ticket, TicketEvent

RESPONSE_KINDS = ("task_completed", "replied", "public_reply")
# A public message by staff (a reply, the question of "request information") answers too.
STAFF_REPLY = Q(kind="message_posted", detail__author_kind="staff", detail__visibility="public")
RESPONSES = Q(kind__in=RESPONSE_KINDS) | STAFF_REPLY
DIMENSIONS = ("agent", "group", "template", "channel", "tier")
PERIODS = ("day", "week", "month")
AGE_BUCKETS = (("lt1d", 0, 1), ("d1_3", 1, 3), ("d3_7", 3, 7), ("gt7d", 7, None))


def empty() -> dict:
    return {name: 0.0 if name in FLOAT_COUNTERS else 0 for name in COUNTERS}


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def local_today() -> dt.date:
    return timezone.localdate()


@dataclass
class _Response:
    """The first response to a ticket: by a step's completion, or a reply by `author`."""

    task_id: int | None
    at: dt.datetime
    author: str


class _Dims:
    """Dimension keys of tickets and tasks, each loaded once per computed day."""

    def __init__(self):
        self.tickets: dict[int, tuple[str, str, str]] = {}
        self.tasks: dict[int, tuple[str, str, str]] = {}  # agent, group, bpmn id

    def load_tickets(self, ids: Iterable[int]) -> None:
        missing = set(ids) - self.tickets.keys()
        rows = Ticket.objects.filter(id__in=missing).values_list(
            "id", "process_version__key", "channel", "customer__tier"
        )
        for ticket_id, template, channel, tier in rows:
            self.tickets[ticket_id] = (template or "", channel or "", tier or "")

    def load_tasks(self, ids: Iterable[int]) -> None:
        missing = set(ids) - self.tasks.keys()
        if not missing:
            return
        groups: dict[int, str] = {}
        through = HumanTask.candidate_groups.through.objects.filter(humantask_id__in=missing)
        for task_id, name in through.values_list("humantask_id", "group__name"):
            groups[task_id] = min(name, groups.get(task_id, name))
        rows = HumanTask.objects.filter(id__in=missing).values_list(
            "id", "completed_by__username", "assignee__username", "bpmn_id"
        )
        for task_id, done_by, assignee, bpmn_id in rows:
            self.tasks[task_id] = (done_by or assignee or "", groups.get(task_id, ""), bpmn_id)

    def keys(self, ticket_id: int, task_id: int | None = None) -> list[tuple[str, str]]:
        template, channel, tier = self.tickets.get(ticket_id, ("", "", ""))
        keys = [("all", ""), ("template", template), ("channel", channel), ("tier", tier)]
        if task_id is not None:
            agent, group, _ = self.tasks.get(task_id, ("", "", ""))
            keys += [("agent", agent), ("group", group)]
        return keys

    def response_keys(self, ticket_id: int, response: _Response) -> list[tuple[str, str]]:
        """A response by a step's completion counts for its agent and group; a reply
        outside any step for its author."""
        if response.task_id is not None:
            return self.keys(ticket_id, response.task_id)
        return [*self.keys(ticket_id), ("agent", response.author)]


def _resolvers(ticket_closed: dict[int, dt.datetime]) -> dict[int, int]:
    """Ticket id -> id of the last task completed at or before the ticket closed."""
    found: dict[int, int] = {}
    rows = (
        HumanTask.objects.filter(ticket_id__in=ticket_closed, completed_at__isnull=False)
        .order_by("ticket_id", "completed_at", "id")
        .values_list("ticket_id", "id", "completed_at")
    )
    for ticket_id, task_id, completed_at in rows:
        if completed_at <= ticket_closed[ticket_id]:
            found[ticket_id] = task_id
    return found


def compute_day(day: dt.date, schedule=None) -> dict[tuple[str, str], dict]:
    """Every counter of one local day, per (dimension, key), from the raw history."""
    return compute_range(*local_day_bounds(day), schedule)


def compute_range(start: dt.datetime, end: dt.datetime, schedule=None) -> dict:
    """Every counter of the history in [start, end), per (dimension, key): what happened
    in the range counts there, so consecutive ranges add up to their union."""
    schedule = schedule if schedule is not None else schedule_of(calendar_for(None))
    out: dict[tuple[str, str], dict] = defaultdict(empty)
    dims = _Dims()

    def add(keys, **values):
        for key in keys:
            row = out[key]
            for name, value in values.items():
                row[name] += value

    # Tickets created, and resolved (completed) on this day.
    created = list(
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "id", flat=True
        )
    )
    resolved = dict(
        Ticket.objects.filter(
            status=Ticket.Status.COMPLETED, closed_at__gte=start, closed_at__lt=end
        ).values_list("id", "closed_at")
    )
    opened_at = dict(Ticket.objects.filter(id__in=resolved).values_list("id", "created_at"))
    # Events of the day the metrics count (one indexed range per kind family).
    events = list(
        TicketEvent.objects.filter(
            Q(kind__in=("reopened", "rated", "sla_warning", "sla_breached")) | RESPONSES,
            at__gte=start,
            at__lt=end,
        ).values_list("ticket_id", "kind", "task_id", "bpmn_id", "detail", "at", "actor__username")
    )
    first_responses = _first_responses(events, start)
    rated = [e for e in events if e[1] == "rated"]
    resolver = _resolvers(resolved)
    rated_closed = dict(
        Ticket.objects.filter(id__in={e[0] for e in rated}).values_list("id", "closed_at")
    )
    resolver.update(
        _resolvers({t: c for t, c in rated_closed.items() if c is not None and t not in resolver})
    )
    done_tasks = list(
        HumanTask.objects.filter(completed_at__gte=start, completed_at__lt=end).values_list(
            "id", "ticket_id", "created_at", "completed_at", "sla_started_at", "sla_level"
        )
    )
    dims.load_tickets({*created, *resolved, *(e[0] for e in events), *(t[1] for t in done_tasks)})
    dims.load_tasks(
        {
            *resolver.values(),
            *(r.task_id for r in first_responses.values() if r.task_id),
            *(e[2] for e in events if e[2]),
            *(t[0] for t in done_tasks),
        }
    )

    for ticket_id in created:
        add(dims.keys(ticket_id), created=1)
    for ticket_id, closed_at in resolved.items():
        seconds = (closed_at - opened_at[ticket_id]).total_seconds()
        business = business_time_between(schedule, opened_at[ticket_id], closed_at)
        add(
            dims.keys(ticket_id, resolver.get(ticket_id)),
            resolved=1,
            resolution_seconds=seconds,
            resolution_business_seconds=business.total_seconds(),
        )
    response_opened = dict(
        Ticket.objects.filter(id__in=first_responses).values_list("id", "created_at")
    )
    for ticket_id, response in first_responses.items():
        add(
            dims.response_keys(ticket_id, response),
            responses=1,
            response_seconds=(response.at - response_opened[ticket_id]).total_seconds(),
        )
    for ticket_id, kind, task_id, bpmn_id, detail, _at, _actor in events:
        detail = detail or {}
        if kind == "reopened":
            add(dims.keys(ticket_id), reopened=1)
        elif kind == "rated":
            score = _score(detail)
            if score is not None:
                values = {"ratings": 1, "rating_sum": score, f"rating_{score}": 1}
                add(dims.keys(ticket_id, resolver.get(ticket_id)), **values)
        elif kind in ("sla_warning", "sla_breached"):
            level = BREACH if kind == "sla_breached" else detail.get("level")
            name = "breaches" if level == BREACH else f"warnings_{level}"
            if name not in ("breaches", "warnings_1", "warnings_2", "warnings_3"):
                continue
            keys = dims.keys(ticket_id, task_id)
            add([*keys, ("node", _node_key(dims, ticket_id, bpmn_id))], **{name: 1})
    for task_id, ticket_id, opened, completed, sla_started, sla_level in done_tasks:
        keys = dims.keys(ticket_id, task_id)
        node = ("node", _node_key(dims, ticket_id, dims.tasks[task_id][2]))
        add([*keys, node], tasks_done=1, task_seconds=(completed - opened).total_seconds())
        if sla_started is not None:
            add([*keys, node], sla_tasks=1, sla_breached_tasks=int(sla_level >= BREACH))
    return dict(out)


def _node_key(dims: _Dims, ticket_id: int, bpmn_id: str) -> str:
    return f"{dims.tickets.get(ticket_id, ('',))[0]}/{bpmn_id}"


def _score(detail: dict) -> int | None:
    try:
        score = int(detail.get("score"))
    except (TypeError, ValueError):
        return None
    return score if 1 <= score <= 5 else None


def _first_responses(events, start) -> dict[int, _Response]:
    """Tickets whose first response ever happened in this range's events."""
    firsts: dict[int, _Response] = {}
    for ticket_id, kind, task_id, _bpmn, _detail, at, actor in events:
        if kind not in RESPONSE_KINDS and kind != "message_posted":  # only staff replies came
            continue
        if ticket_id not in firsts or at < firsts[ticket_id].at:
            firsts[ticket_id] = _Response(task_id, at, actor or "")
    if not firsts:
        return firsts
    earlier = set(
        TicketEvent.objects.filter(RESPONSES, ticket_id__in=firsts, at__lt=start)
        .order_by()
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    return {t: v for t, v in firsts.items() if t not in earlier}


def derived(row: dict) -> dict:
    """The dashboard's metrics from one row of counters (None where undefined)."""

    def ratio(a, b, scale=1.0):
        return row[a] / row[b] * scale if row[b] else None

    return {
        "created": row["created"],
        "resolved": row["resolved"],
        "resolution_rate": ratio("resolved", "created", 100),
        "reopen_rate": ratio("reopened", "resolved", 100),
        "first_response_h": ratio("response_seconds", "responses", 1 / 3600),
        "resolution_h": ratio("resolution_seconds", "resolved", 1 / 3600),
        "resolution_business_h": ratio("resolution_business_seconds", "resolved", 1 / 3600),
        "sla_compliance": (
            100 - row["sla_breached_tasks"] / row["sla_tasks"] * 100 if row["sla_tasks"] else None
        ),
        "warnings_1": row["warnings_1"],
        "warnings_2": row["warnings_2"],
        "warnings_3": row["warnings_3"],
        "breaches": row["breaches"],
        "ratings": row["ratings"],
        "csat": ratio("rating_sum", "ratings"),
        "tasks_done": row["tasks_done"],
        "task_h": ratio("task_seconds", "tasks_done", 1 / 3600),
    }


class Report:
    """Counters over [first, last] (local days): rollups where a day is rolled, live
    computation for the rest. Live days are computed once per report."""

    def __init__(self, first: dt.date, last: dt.date):
        if last < first:
            raise ValueError("the period ends before it starts")
        self.first, self.last = first, last
        today = local_today()
        rolled = RolledDay.objects.filter(day__gte=first, day__lte=last)
        # Complete days; today may have rows up to `until` (a partial rollup).
        self.partial = {
            day: until
            for day, until in rolled.values_list("day", "until")
            if until is not None and day == today
        }
        self.rolled = {
            day for day, until in rolled.values_list("day", "until") if until is None
        } | set(self.partial)
        days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
        # Days before the first ticket have no history: nothing to compute for them.
        oldest = Ticket.objects.aggregate(oldest=Min("created_at"))["oldest"]
        since = timezone.localdate(oldest) if oldest is not None else last + dt.timedelta(days=1)
        self.live_days = [d for d in days if d not in self.rolled and d >= since]
        self._live: dict[dt.date, dict] | None = None

    @property
    def live(self) -> dict[dt.date, dict]:
        if self._live is None:
            schedule = schedule_of(calendar_for(None))
            self._live = {day: compute_day(day, schedule) for day in self.live_days}
            for day, until in self.partial.items():  # today after its partial rollup
                self._live[day] = compute_range(until, local_day_bounds(day)[1], schedule)
        return self._live

    def _stored(self, dimension: str):
        return DailyMetric.objects.filter(
            dimension=dimension,
            day__gte=self.first,
            day__lte=self.last,
            day__in=list(self.rolled),
        )

    def by(self, dimension: str) -> dict[str, dict]:
        """Summed counters per key of one dimension."""
        sums = {name: Sum(name) for name in COUNTERS}
        result: dict[str, dict] = {}
        for row in self._stored(dimension).values("key").annotate(**sums).order_by("key"):
            result[row.pop("key")] = {name: row[name] or 0 for name in COUNTERS}
        for rows in self.live.values():
            for (dim, key), counters in rows.items():
                if dim == dimension:
                    target = result.setdefault(key, empty())
                    for name in COUNTERS:
                        target[name] += counters[name]
        return dict(sorted(result.items()))

    def total(self) -> dict:
        return self.by("all").get("", empty())

    def series(self, period: str) -> dict[dt.date, dict]:
        """Counters of the "all" dimension per day, ISO week (Monday) or month."""
        if period not in PERIODS:
            raise ValueError(f"unknown period {period!r}")
        per_day: dict[dt.date, dict] = {}
        for row in self._stored("all").values("day", *COUNTERS):
            per_day[row.pop("day")] = row
        for day, rows in self.live.items():
            live = rows.get(("all", ""), empty())
            stored = per_day.get(day)
            per_day[day] = {n: live[n] + stored[n] for n in COUNTERS} if stored else live
        buckets: dict[dt.date, dict] = {}
        for day, counters in sorted(per_day.items()):
            if period == "week":
                day = day - dt.timedelta(days=day.weekday())
            elif period == "month":
                day = day.replace(day=1)
            target = buckets.setdefault(day, empty())
            for name in COUNTERS:
                target[name] += counters[name]
        return buckets


def backlog(now: dt.datetime | None = None) -> dict:
    """Open (active) tickets now, by age."""
    now = now or timezone.now()
    aggregates = {"total": Count("id"), "oldest": Min("created_at")}
    for name, low, high in AGE_BUCKETS:
        q = Q(created_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - dt.timedelta(days=high))
        aggregates[name] = Count("id", filter=q)
    return Ticket.objects.filter(status=Ticket.Status.ACTIVE).aggregate(**aggregates)


def low_ratings(first: dt.date, last: dt.date, limit: int = 50) -> list[TicketEvent]:
    """Ratings of 1 or 2 in the period, newest first, with their tickets."""
    start, end = local_day_bounds(first)[0], local_day_bounds(last)[1]
    low = Q(detail__score__in=[1, 2]) | Q(detail__score__in=["1", "2"])
    found = list(
        TicketEvent.objects.filter(low, kind="rated", at__gte=start, at__lt=end)
        .select_related("ticket", "ticket__process_version")
        .order_by("-at")[:limit]
    )
    open_tasks = defaultdict(list)
    rows = HumanTask.objects.filter(
        ticket_id__in={e.ticket_id for e in found},
        state__in=(HumanTask.State.OPEN, HumanTask.State.CLAIMED),
    ).values_list("ticket_id", "name")
    for ticket_id, name in rows:
        open_tasks[ticket_id].append(name)
    for event in found:
        event.score = _score(event.detail)
        event.open_tasks = open_tasks.get(event.ticket_id, [])
    return found
