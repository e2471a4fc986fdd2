"""Committed ticket events -> notification rules -> outbox rows.

notify does not know tickets (layering): the tickets app hands over plain `EventFacts` and
registers a resolver (`set_audience_resolver`, like `rendering.set_redactor`) that says who
plays each recipient role of a rule for one event (the assignee, the queue's members, the
customer…) and the template variables.

`fan_out_later` is called where tickets writes its events, in the action's transaction: it
writes one FanoutJob row (only when a rule or a webhook wants one of the event kinds), so a
rolled-back action notifies nobody and a committed one is never forgotten. The request
never runs the fan-out: once the action commits, the job goes to the worker: with Celery, a
`notify.run_pending_fanout` task drains pending jobs (one queued at a time, see
notify.drain); without, the embedded worker, woken at once (`set_waker`), does the same
sweep (`run_pending_fanout`). A job whose run never happened (a process that died, a broker
that was down) is swept later (`run_stale_fanout` from beat). Each outbox row's
idempotency key (rule, event, language) makes a second run a no-op.
FLOWDESK_FANOUT_INLINE runs the job right after the commit instead (the test suite).

A sweep drains jobs in batches of BATCH, one transaction each: the batch's jobs are locked
(a concurrent sweep skips them) and deleted, their events go through notify.rules together
(rules, texts, webhook subscriptions and preferences read once, the outbox rows written in
one INSERT, one delivery enqueued), and the commit makes the rows and the jobs' removal
one: a worker that dies mid-batch leaves the jobs queued for the next sweep, and no row is
written twice. A batch that fails is run again job by job; a job that fails on its own is
logged, stays queued, and is tried alone (outside the batches) by later sweeps of this
process.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from notify import conf, drain
from notify.delivery import skip_locked
from notify.drafts import Drafts
from notify.models import DEFAULT_LANGUAGE, FanoutJob, NotificationRule, WebhookSubscription
from notify.rules import LIFECYCLE, apply_rules

log = logging.getLogger("flowdesk.notify")


@dataclass
class EventFacts:
    """One ticket event as plain data."""

    id: int
    kind: str
    ticket_id: int
    bpmn_id: str = ""
    detail: dict = field(default_factory=dict)
    actor_id: int | None = None
    task_id: int | None = None


@dataclass
class Contact:
    """Someone reached by address, not as a user: the customer."""

    email: str = ""
    phone: str = ""
    language: str = DEFAULT_LANGUAGE


@dataclass
class Audience:
    by_role: dict[str, list] = field(default_factory=dict)  # role -> users
    contacts: list[Contact] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None


# (event, roles, cache) -> Audience. Registered by the tickets app when it is ready; `cache`
# is one dict per fan_out call, for what several events of one ticket share.
AudienceResolver = Callable[[EventFacts, frozenset[str], dict], Audience]
_resolver: list[AudienceResolver] = []


def set_audience_resolver(resolver: AudienceResolver | None) -> None:
    _resolver[:] = [resolver] if resolver is not None else []


# ---------------------------------------------------------------- the job queue

_KINDS_TTL_S = 10.0
_kinds_cache: dict[str, Any] = {"at": -1e9, "kinds": frozenset()}


def _interesting_kinds() -> frozenset[str]:
    """Event kinds some enabled rule or webhook subscription wants (cached a few seconds;
    a rule or subscription saved in this process clears it at once)."""
    if time.monotonic() - _kinds_cache["at"] > _KINDS_TTL_S:
        kinds = set(
            NotificationRule.objects.filter(enabled=True).values_list("event_kind", flat=True)
        )
        hooks = set()
        for types in WebhookSubscription.objects.filter(active=True).values_list(
            "event_types", flat=True
        ):
            hooks |= set(types or ())
        kinds |= {k for k, name in LIFECYCLE.items() if name in hooks or "*" in hooks}
        _kinds_cache.update(at=time.monotonic(), kinds=frozenset(kinds))
    return _kinds_cache["kinds"]


def forget_cached_kinds(*args, **kwargs) -> None:
    _kinds_cache["at"] = -1e9


for _model in (NotificationRule, WebhookSubscription):
    post_save.connect(forget_cached_kinds, sender=_model, dispatch_uid=f"fanout-{_model.__name__}")
    post_delete.connect(
        forget_cached_kinds, sender=_model, dispatch_uid=f"fanout-d-{_model.__name__}"
    )


def fan_out_later(events: Iterable[EventFacts]) -> FanoutJob | None:
    """Call inside the transaction that wrote the events (see the module docstring)."""
    kinds = _interesting_kinds()
    wanted = [e for e in events if e.kind in kinds and e.ticket_id is not None]
    if not wanted:
        return None
    job = FanoutJob.objects.create(events=[_as_dict(e) for e in wanted])
    transaction.on_commit(lambda: _hand_over(job.pk), robust=True)
    return job


# The job row as part of the writer's own statement (tickets.prepared.write_step): the
# events' ids are only known there, and a statement of its own costs a round trip.
_JOB_FROM_EVENTS = (
    "INSERT INTO {table} (events, created_at) SELECT jsonb_agg(jsonb_build_object("
    "'id', id, 'kind', kind, 'ticket_id', ticket_id, 'bpmn_id', coalesce(bpmn_id, ''), "
    "'detail', CASE WHEN detail IS NULL OR detail = 'null'::jsonb THEN '{{}}'::jsonb "
    "ELSE detail END, 'actor_id', actor_id, 'task_id', task_id) ORDER BY id), %s "
    "FROM {source} WHERE kind = ANY(%s) AND ticket_id IS NOT NULL HAVING count(*) > 0 "
    "RETURNING id"
)


def job_from_rows(kinds: Iterable[str], source: str) -> tuple[str, list] | None:
    """The INSERT … SELECT of the job of events about to be written (PostgreSQL), for a
    writer that puts it in its own statement: `source` names a relation of the new event
    rows with EventFacts' column names. None when no rule or webhook wants any of `kinds`.
    The writer passes the job's id to `job_written` (the same JSON as `fan_out_later`)."""
    wanted = _interesting_kinds() & set(kinds)
    if not wanted:
        return None
    sql = _JOB_FROM_EVENTS.format(table=FanoutJob._meta.db_table, source=source)
    return sql, [timezone.now(), sorted(wanted)]


def job_written(job_id: int | None) -> None:
    """A job row written by `job_from_rows`' statement: handed over once committed."""
    if job_id is not None:
        transaction.on_commit(lambda: _hand_over(job_id), robust=True)


# Wakes the embedded worker when a job is committed (registered by the worker thread).
_waker: list[Callable[[], None]] = []


def set_waker(wake: Callable[[], None] | None) -> None:
    _waker[:] = [wake] if wake is not None else []


def _hand_over(job_id: int) -> None:
    if conf.fanout_inline():
        run_fanout_job(job_id)
    elif conf.celery_enabled():
        _enqueue_drain()
    elif _waker:
        _waker[0]()


def _enqueue_drain() -> None:
    from notify.tasks import run_pending_fanout_task

    try:
        if drain.claim():
            run_pending_fanout_task.delay()
    except Exception:  # broker down: beat's stale sweep picks the job up
        log.warning("fan-out: could not enqueue a drain", exc_info=True)


def _as_dict(event: EventFacts) -> dict:
    return {
        "id": event.id,
        "kind": event.kind,
        "ticket_id": event.ticket_id,
        "bpmn_id": event.bpmn_id,
        "detail": event.detail,
        "actor_id": event.actor_id,
        "task_id": event.task_id,
    }


BATCH = 100  # jobs per transaction of a sweep
# Jobs that failed in this process: tried alone by later sweeps, not in their batches.
_failing: set[int] = set()


def run_fanout_job(job_id: int) -> int:
    """Fan out one job and delete it, in one transaction; 0 when another run took it."""
    with transaction.atomic():
        taken = _claim(FanoutJob.objects.filter(pk=job_id), 1)
        return _fan_out_jobs(taken)


def run_pending_fanout(limit: int = 200, older_than_s: float = 0.0) -> int:
    """The worker's sweep (and the tests' way to drain): up to `limit` pending jobs, oldest
    first, BATCH per transaction; one that fails is logged and left for the next sweep,
    the others still run. Returns the number of outbox rows written."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_s)
    retry = sorted(_failing)  # before this sweep's own failures join them
    written = 0
    while limit > 0:
        size = min(BATCH, limit)
        pending = FanoutJob.objects.filter(created_at__lte=cutoff).exclude(id__in=_failing)
        count, taken = _run_batch(pending, size)
        written += count
        limit -= len(taken)
        if len(taken) < size:
            break
    for job_id in retry:
        written += _run_alone(job_id)
    return written


def run_stale_fanout() -> int:
    """Beat's sweep beside Celery: jobs whose task never ran for 10 s or more."""
    return run_pending_fanout(older_than_s=10.0)


def _run_batch(pending, size: int) -> tuple[int, list[int]]:
    """(rows written, ids of the jobs taken) for one batch of `pending` jobs."""
    taken: list[int] = []
    try:
        with transaction.atomic():
            jobs = _claim(pending, size)
            taken = [job_id for job_id, _events in jobs]
            return _fan_out_jobs(jobs), taken
    except Exception:
        if not taken:
            raise
    # Rolled back: each job again on its own, so that one bad job holds back no other.
    return sum(_run_alone(job_id) for job_id in taken), taken


def _run_alone(job_id: int) -> int:
    try:
        written = run_fanout_job(job_id)
    except Exception:
        log.exception("fan-out: job %s failed; it stays queued", job_id)
        _failing.add(job_id)
        return 0
    _failing.discard(job_id)
    return written


def _claim(jobs, size: int) -> list[tuple[int, list]]:
    """Take up to `size` of `jobs`, oldest first, for the current transaction: locked (a
    concurrent sweep skips them) and deleted, so they are gone when it commits and back
    when it rolls back (or its worker dies)."""
    taken = list(skip_locked(jobs.order_by("id")).values_list("id", "events")[:size])
    if taken:
        FanoutJob.objects.filter(id__in=[job_id for job_id, _events in taken]).delete()
    return taken


def _fan_out_jobs(jobs: list[tuple[int, list]]) -> int:
    return fan_out(EventFacts(**event) for _job_id, events in jobs for event in events)


def fan_out(events: Iterable[EventFacts]) -> int:
    """Queue what the rules say for `events`; returns the number of outbox rows written."""
    events = [e for e in events if e.ticket_id is not None]
    if not events or not _resolver:
        return 0
    drafts = Drafts()
    apply_rules(events, _resolver[0], drafts)
    return len(drafts.insert())
