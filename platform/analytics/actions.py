"""Writers of the rollup table: one local day at a time, one transaction each."""

import datetime as dt

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from analytics.models import COUNTERS, DailyMetric, RolledDay
from analytics.queries import compute_day, compute_range, local_day_bounds, local_today
from tickets.models import Ticket

# How far back a sweep starting from scratch goes (older days stay live-computed).
MAX_BACKFILL_DAYS = 400


def do_rollup(day: dt.date) -> int:
    """Recompute one finished local day's rows (idempotent: the day's rows are replaced).
    Returns the number of rows written."""
    if day >= local_today():
        raise ValueError(f"{day} is not over yet: only finished days are rolled up")
    return _store(day, compute_day(day), until=None)


def _store(day: dt.date, rows: dict, until) -> int:
    with transaction.atomic():
        DailyMetric.objects.filter(day=day).delete()
        DailyMetric.objects.bulk_create(
            DailyMetric(day=day, dimension=dim, key=key[:400], **{n: c[n] for n in COUNTERS})
            for (dim, key), c in rows.items()
        )
        RolledDay.objects.update_or_create(day=day, defaults={"until": until})
    return len(rows)


def do_rollup_today(now: dt.datetime | None = None) -> int:
    """Today's rows up to `now` (the dashboard computes only what happened since). The
    sweep redoes them every few minutes; once the day is over `do_rollup` replaces them."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    start = local_day_bounds(day)[0]
    return _store(day, compute_range(start, now), until=now)


def do_rollup_pending(limit: int = 31) -> list[dt.date]:
    """Roll up finished days not rolled yet, oldest first, at most `limit` per call (the
    beat task runs it hourly; a fresh install catches up a month per run)."""
    today = local_today()
    first_ticket = Ticket.objects.aggregate(first=Min("created_at"))["first"]
    if first_ticket is None:
        return []
    start = max(
        first_ticket.astimezone(dt.UTC).date() - dt.timedelta(days=1),
        today - dt.timedelta(days=MAX_BACKFILL_DAYS),
    )
    done = set(
        RolledDay.objects.filter(day__gte=start, until__isnull=True).values_list("day", flat=True)
    )
    rolled = []
    day = start
    while day < today and len(rolled) < limit:
        if day not in done:
            do_rollup(day)
            rolled.append(day)
        day += dt.timedelta(days=1)
    return rolled
