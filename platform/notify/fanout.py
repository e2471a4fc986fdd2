"""Committed ticket events -> notification rules -> outbox rows.

notify does not know tickets (layering): the tickets app hands over plain `EventFacts` and
registers a resolver (`set_audience_resolver`, like `rendering.set_redactor`) that says who
plays each recipient role of a rule for one event (the assignee, the queue's members, the
customer…) and the template variables.

`fan_out_later` is called where tickets writes its events, in the action's transaction: it
writes one FanoutJob row (only when a rule or a webhook wants one of the event kinds), so a
rolled-back action notifies nobody and a committed one is never forgotten. The request
never runs the fan-out (about a dozen statements per step): once the action commits, the
job goes to the worker: with Celery, a `notify.run_pending_fanout` task drains pending
jobs (one queued at a time, see notify.drain); without, the embedded worker, woken at once
(`set_waker`), does the same sweep (`run_pending_fanout`). A job whose run never happened (a process that died, a broker
that was down) is swept later (`run_stale_fanout` from beat). Each outbox row's
idempotency key (rule, event, language) makes a second run a no-op.
FLOWDESK_FANOUT_INLINE runs the job right after the commit instead (the test suite).

Each enabled `NotificationRule` for the event's kind queues one message per recipient
language, with that language's `RuleTemplate` (zh-hans when the recipient has no
preference); preferences, quiet hours and digests apply as for any do_notify call.
Lifecycle events also go to webhook subscribers under stable names (`ticket.created`…),
their payload passed through the redaction hook for the subscription's scope; an internal
note reaches staff-scoped subscriptions only.
"""

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from notify import conf, drain
from notify.actions import do_notify
from notify.models import (
    DEFAULT_LANGUAGE,
    ChannelName,
    FanoutJob,
    NotificationRule,
    Recipient,
    WebhookSubscription,
)
from notify.preferences import preferences_for

log = logging.getLogger("flowdesk.notify")

# Ticket event kind -> the webhook event integrators subscribe to.
LIFECYCLE = {
    "created": "ticket.created",
    "assigned": "ticket.assigned",
    "task_completed": "task.completed",
    "completed": "ticket.resolved",
    "sla_warning": "sla.warning",
    "sla_breached": "sla.breached",
    "message_posted": "message.created",
}
# Detail fields an integrator gets in a lifecycle payload (the rest is internal detail).
_PAYLOAD_FIELDS = (
    "assignee",
    "candidate_groups",
    "level",
    "due_at",
    "channel",
    "process",
    "name",
    "author_kind",
    "visibility",
)


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


def run_fanout_job(job_id: int) -> int:
    """Fan out one job and delete it, in one transaction; 0 when another run took it."""
    with transaction.atomic():
        job = FanoutJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        if job is None:
            return 0
        written = fan_out(EventFacts(**event) for event in job.events)
        job.delete()
    return written


def run_pending_fanout(limit: int = 200, older_than_s: float = 0.0) -> int:
    """The embedded worker's sweep (and the tests' way to drain): pending jobs, oldest
    first; one that fails is logged and left for the next sweep, the others still run."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_s)
    ids = list(
        FanoutJob.objects.filter(created_at__lte=cutoff).values_list("id", flat=True)[:limit]
    )
    written = 0
    for job_id in ids:
        try:
            written += run_fanout_job(job_id)
        except Exception:
            log.exception("fan-out: job %s failed; it stays queued", job_id)
    return written


def run_stale_fanout() -> int:
    """Beat's sweep beside Celery: jobs whose task never ran for 10 s or more."""
    return run_pending_fanout(older_than_s=10.0)


# ---------------------------------------------------------------- rules


def _rules_by_kind(kinds: set[str]) -> dict[str, list[NotificationRule]]:
    rules = defaultdict(list)
    query = NotificationRule.objects.filter(enabled=True, event_kind__in=kinds)
    for rule in query.prefetch_related("templates"):
        rules[rule.event_kind].append(rule)
    return rules


def _wanted_webhooks(kinds: set[str]) -> set[str]:
    names = {LIFECYCLE[k] for k in kinds if k in LIFECYCLE}
    if not names:
        return set()
    wanted = set()
    for sub in WebhookSubscription.objects.filter(active=True).only("event_types", "active"):
        wanted |= {name for name in names if sub.wants(name)}
    return wanted


def fan_out(events: Iterable[EventFacts]) -> int:
    """Queue what the rules say for `events`; returns the number of outbox rows written."""
    events = [e for e in events if e.ticket_id is not None]
    if not events or not _resolver:
        return 0
    kinds = {e.kind for e in events}
    rules = _rules_by_kind(kinds)
    hooks = _wanted_webhooks(kinds)
    written = 0
    cache: dict = {}
    for event in events:
        matching = [r for r in rules.get(event.kind, ()) if r.matches(event.bpmn_id, event.detail)]
        hook = LIFECYCLE.get(event.kind)
        if not matching and hook not in hooks:
            continue
        roles = frozenset(role for rule in matching for role in rule.recipients)
        audience = _resolver[0](event, roles, cache)
        for rule in matching:
            written += _apply_rule(rule, event, audience)
        if hook in hooks:
            written += _webhook(hook, event, audience)
    return written


def _texts(rule: NotificationRule, language: str) -> tuple[str, str]:
    templates = {t.language: t for t in rule.templates.all()}
    chosen = templates.get(language) or templates.get(DEFAULT_LANGUAGE)
    chosen = chosen or next(iter(templates.values()), None)
    if chosen is None:
        return rule.event_kind, ""
    return chosen.subject, chosen.body


def _apply_rule(rule: NotificationRule, event: EventFacts, audience: Audience) -> int:
    users = _users_for(rule, audience)
    written = 0
    by_language = defaultdict(list)
    prefs = preferences_for(users)
    for user in users:
        by_language[prefs[user.pk].language or DEFAULT_LANGUAGE].append(user)
    user_channels = [c for c in rule.channels if c != ChannelName.WEBHOOK]
    for language, people in sorted(by_language.items()):
        subject, body = _texts(rule, language)
        written += len(
            do_notify(
                rule.event_kind,
                ticket_id=event.ticket_id,
                users=people,
                channels=user_channels,
                context={**audience.context, "language": language},
                subject=subject,
                body=body,
                urgent=rule.urgent,
                webhooks=False,
                idempotency_key=f"rule:{rule.key}:{event.id}:{language}",
            )
        )
    if Recipient.CUSTOMER in rule.recipients:
        for index, contact in enumerate(audience.contacts):
            addresses = []
            if ChannelName.EMAIL in rule.channels and contact.email:
                addresses.append((ChannelName.EMAIL, contact.email))
            if ChannelName.SMS in rule.channels and contact.phone:
                addresses.append((ChannelName.SMS, contact.phone))
            if not addresses:
                continue
            subject, body = _texts(rule, contact.language)
            written += len(
                do_notify(
                    rule.event_kind,
                    ticket_id=event.ticket_id,
                    addresses=addresses,
                    context={**audience.context, "language": contact.language, "to_customer": 1},
                    subject=subject,
                    body=body,
                    urgent=rule.urgent,
                    webhooks=False,
                    idempotency_key=f"rule:{rule.key}:{event.id}:c{index}",
                )
            )
    return written


def _users_for(rule: NotificationRule, audience: Audience) -> list:
    """The people of the rule's roles; nobody is told about their own action."""
    roles = set(rule.recipients) - {Recipient.CUSTOMER}
    if not roles:
        return []
    chosen = {}
    for role in roles:
        for user in audience.by_role.get(role, ()):
            chosen[user.pk] = user
    chosen.pop(audience.actor_id, None)
    return list(chosen.values())


def _webhook(name: str, event: EventFacts, audience: Audience) -> int:
    detail = {k: event.detail[k] for k in _PAYLOAD_FIELDS if k in event.detail}
    context = {
        "ticket": audience.context.get("ticket", ""),
        "title": audience.context.get("title", ""),
        "status": audience.context.get("status", ""),
        "task": audience.context.get("task", ""),
        "bpmn_id": event.bpmn_id,
        **detail,
    }
    if event.kind == "message_posted":
        context["text"] = audience.context.get("text", "")
    rows = do_notify(
        name,
        ticket_id=event.ticket_id,
        context=context,
        channels=(),
        idempotency_key=f"hook:{event.id}",
        internal=event.detail.get("visibility") == "internal",
    )
    return len(rows)
