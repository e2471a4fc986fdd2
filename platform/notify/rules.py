"""Notification rules applied to ticket events: who hears of each event, on which channel,
in which language, with which text; and the lifecycle webhooks integrators subscribe to.

`apply_rules` works on a batch of events (notify.fanout drains many jobs in one
transaction): the rules, their texts and the webhook subscriptions are read once per batch,
the audience resolver gets one cache per ticket (what several events of one ticket share),
every recipient's preferences come in one query, and the rows go into one `Drafts`.

Each enabled `NotificationRule` for the event's kind queues one message per recipient
language, with that language's `RuleTemplate` (zh-hans when the recipient has no
preference); preferences, quiet hours and digests apply as for any do_notify call.
Lifecycle events also go to webhook subscribers under stable names (`ticket.created`…),
their payload passed through the redaction hook for the subscription's scope; an internal
note reaches staff-scoped subscriptions only.
"""

from collections import defaultdict
from collections.abc import Callable

from django.utils import timezone, translation

from definitions.element_names import local_name
from notify.drafts import Drafts, Notification, chosen_channels
from notify.models import DEFAULT_LANGUAGE, ChannelName, NotificationRule, Recipient

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


def apply_rules(events: list, resolve: Callable, drafts: Drafts) -> None:
    """Queue into `drafts` what the rules and webhook subscriptions say for `events`
    (notify.fanout.EventFacts); `resolve` is the audience resolver (event, roles, cache)."""
    kinds = {e.kind for e in events}
    rules = _rules_by_kind(kinds)
    hooks = _wanted_webhooks(kinds, drafts)
    caches: dict[int, dict] = defaultdict(dict)  # the resolver's cache, one per ticket
    plans = []
    for event in events:
        matching = [r for r in rules.get(event.kind, ()) if r.matches(event.bpmn_id, event.detail)]
        hook = LIFECYCLE.get(event.kind) if LIFECYCLE.get(event.kind) in hooks else None
        if not matching and hook is None:
            continue
        roles = frozenset(role for rule in matching for role in rule.recipients)
        audience = resolve(event, roles, caches[event.ticket_id])
        plans.append((event, matching, audience, hook))
    # Everyone's preferences in one query, before the rows ask for them one rule at a time.
    drafts.load_preferences(
        user
        for _e, matching, audience, _h in plans
        for r in matching
        for user in _users_for(r, audience)
    )
    for event, matching, audience, hook in plans:
        now = timezone.now()
        for rule in matching:
            _rule_rows(rule, event, audience, drafts, now)
        if hook is not None:
            _webhook_rows(hook, event, audience, drafts, now)


def _rules_by_kind(kinds: set[str]) -> dict[str, list[NotificationRule]]:
    rules = defaultdict(list)
    query = NotificationRule.objects.filter(enabled=True, event_kind__in=kinds)
    for rule in query.prefetch_related("templates"):
        rules[rule.event_kind].append(rule)
    return rules


def _wanted_webhooks(kinds: set[str], drafts: Drafts) -> set[str]:
    names = {LIFECYCLE[k] for k in kinds if k in LIFECYCLE}
    if not names:
        return set()
    return {name for sub in drafts.subscriptions() for name in names if sub.wants(name)}


def _texts(rule: NotificationRule, language: str) -> tuple[str, str]:
    templates = {t.language: t for t in rule.templates.all()}
    chosen = templates.get(language) or templates.get(DEFAULT_LANGUAGE)
    chosen = chosen or next(iter(templates.values()), None)
    if chosen is None:
        return rule.event_kind, ""
    return chosen.subject, chosen.body


def _context_in(context: dict, language: str, **more) -> dict:
    """The event's context for readers of `language`: a step named in both languages
    ("Diagnose on site (上门检测)") by its name in theirs."""
    with translation.override(language):
        task = local_name(context.get("task", ""))
    return {**context, "task": task, "language": language, **more}


def _rule_rows(rule: NotificationRule, event, audience, drafts: Drafts, now) -> None:
    users = _users_for(rule, audience)
    prefs = drafts.load_preferences(users)
    by_language = defaultdict(list)
    for user in users:
        by_language[prefs[user.pk].language or DEFAULT_LANGUAGE].append(user)
    user_channels = [c for c in rule.channels if c != ChannelName.WEBHOOK]
    if by_language:  # an unknown channel fails the job (it stays queued, logged)
        user_channels = chosen_channels(user_channels, {})
    for language, people in sorted(by_language.items()):
        subject, body = _texts(rule, language)
        note = Notification(
            event_type=rule.event_kind,
            ticket_id=event.ticket_id,
            context=_context_in(audience.context, language),
            urgent=rule.urgent,
            base_key=f"rule:{rule.key}:{event.id}:{language}",
            now=now,
            subject=subject,
            body=body,
        )
        drafts.add_users(note, people, user_channels)
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
            note = Notification(
                event_type=rule.event_kind,
                ticket_id=event.ticket_id,
                context=_context_in(audience.context, contact.language, to_customer=1),
                urgent=rule.urgent,
                base_key=f"rule:{rule.key}:{event.id}:c{index}",
                now=now,
                subject=subject,
                body=body,
            )
            drafts.add_addresses(note, addresses)


def _users_for(rule: NotificationRule, audience) -> list:
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


def _webhook_rows(name: str, event, audience, drafts: Drafts, now) -> None:
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
    note = Notification(
        event_type=name,
        ticket_id=event.ticket_id,
        context=context,
        urgent=False,
        base_key=f"hook:{event.id}",
        now=now,
        subject=None,
        body=None,
    )
    drafts.add_webhooks(note, internal=event.detail.get("visibility") == "internal")
