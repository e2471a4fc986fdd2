"""The ticket's timeline in sentences: "Alice accepted the ticket", "Assigned to Tom by rule
‘VIP customers go to the least-loaded senior agent’ (assignment v3)", "Sent back to
Schedule the visit: <reason>", with the reasons and comments people gave.

Every event kind the engine, the operations, the sweeps and intake write has a sentence
here (tests/tickets/test_timeline.py holds them to it); a kind added later without one
reads "Something happened at <step>", never its code. Event details arrive through
tickets.visibility already (`TicketView.detail`); the names of the people they mention are
read in one query per page (`Names`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from definitions.element_names import local_name
from tickets.decision_rules import decision_name, rule_label, version_label
from tickets.display import ENGINE_KEYS, Entry, Formatter, Names, humanize, when
from tickets.incident_text import incident_text
from tickets.models import TicketEvent
from tickets.words import channel_name, priority_name


@dataclass
class Line:
    event: TicketEvent
    sentence: str
    quote: str = ""  # what a person wrote: a reason, a comment, a question
    note: str = ""  # how it was decided, when it is due
    entries: list[Entry] = field(default_factory=list)  # the data a step was completed with
    tone: str = ""  # "warning", "breached", "done": a colour for the line


@dataclass
class Context:
    """What sentences need besides the event: names, step names, the data formatter."""

    names: Names
    step_name: Callable[[str], str]
    formatter: Formatter

    def person(self, username) -> str:
        return self.names.user(username) if username else _("someone")

    def actor(self, event: TicketEvent) -> str:
        user = event.actor
        if user is None:
            return _("The system")
        return user.get_full_name() or user.username


def usernames_in(details: list[Mapping]) -> set[str]:
    """Every username the events' details name (holders, targets, candidates, recipients)."""
    found: set[str] = set()
    for detail in details:
        for key in ("to_user", "assignee", "supervisor"):
            if isinstance(detail.get(key), str):
                found.add(detail[key])
        for key in ("candidates", "to", "mentions"):
            if isinstance(detail.get(key), list):
                found.update(str(v) for v in detail[key] if isinstance(v, str))
    return found


def sentences(events: list[TicketEvent], details: list[dict], ctx: Context) -> list[Line]:
    lines = []
    for event, detail in zip(events, details, strict=True):
        write = SENTENCES.get(event.kind, _generic)
        line = write(event, detail, ctx)
        line.tone = line.tone or TONES.get(event.kind, "")
        lines.append(line)
    return lines


def _step(event: TicketEvent, ctx: Context) -> str:
    return ctx.step_name(event.bpmn_id) if event.bpmn_id else _("the ticket")


def _generic(event, detail, ctx) -> Line:
    return Line(
        event,
        _("%(who)s: %(what)s at %(step)s")
        % {"who": ctx.actor(event), "what": humanize(event.kind), "step": _step(event, ctx)}
        if event.bpmn_id
        else _("%(who)s: %(what)s") % {"who": ctx.actor(event), "what": humanize(event.kind)},
    )


def _created(event, detail, ctx) -> Line:
    channel = detail.get("channel") or ""
    if event.actor is None:
        text = _("The ticket was raised (via %(channel)s)") % {"channel": channel_name(channel)}
    else:
        text = _("%(who)s raised the ticket (via %(channel)s)") % {
            "who": ctx.actor(event),
            "channel": channel_name(channel),
        }
    return Line(event, text)


def _task_created(event, detail, ctx) -> Line:
    return Line(event, _("Step “%(step)s” opened") % {"step": _step(event, ctx)})


def _assigned(event, detail, ctx) -> Line:
    step = _step(event, ctx)
    if detail.get("strategy") == "model":
        text = _("%(step)s assigned to %(person)s by the process model")
        return Line(event, text % {"step": step, "person": ctx.person(detail.get("assignee"))})
    if detail.get("assignee"):
        text = _("%(step)s assigned to %(person)s") % {
            "step": step,
            "person": ctx.person(detail["assignee"]),
        }
    elif detail.get("candidates"):
        people = ", ".join(ctx.person(u) for u in detail["candidates"])
        text = _("%(step)s offered to %(people)s") % {"step": step, "people": people}
    elif detail.get("group"):
        text = _("%(step)s put in the %(group)s queue") % {"step": step, "group": detail["group"]}
    else:
        text = _("%(step)s waits for someone to take it") % {"step": step}
    return Line(event, text, note=_decided_by(detail.get("decision")))


def _decided_by(decision) -> str:
    if not isinstance(decision, Mapping) or not decision.get("id"):
        return ""
    stored = str(decision.get("version") or "")
    version = version_label(stored)
    rule = decision.get("rule")
    label = rule_label(str(decision["id"]), stored, rule)
    name = decision_name(str(decision["id"]), stored)
    if label:
        return _("by rule ‘%(rule)s’ (%(decision)s %(version)s)") % {
            "rule": label,
            "decision": name,
            "version": version,
        }
    if rule:
        return _("by rule %(rule)s (%(decision)s %(version)s)") % {
            "rule": rule,
            "decision": name,
            "version": version,
        }
    return _("by %(decision)s %(version)s") % {"decision": name, "version": version}


def _sla_started(event, detail, ctx) -> Line:
    due = detail.get("due_at")
    text = _("%(step)s is due %(due)s") % {"step": _step(event, ctx), "due": when(due)}
    return Line(event, text, note=_decided_by(detail.get("decision")))


def _claimed(event, detail, ctx) -> Line:
    return Line(
        event, _("%(who)s took %(step)s") % {"who": ctx.actor(event), "step": _step(event, ctx)}
    )


def _released(event, detail, ctx) -> Line:
    text = _("%(who)s put %(step)s back in the queue")
    return Line(event, text % {"who": ctx.actor(event), "step": _step(event, ctx)})


def _transferred(event, detail, ctx) -> Line:
    values = {"who": ctx.actor(event), "step": _step(event, ctx)}
    if detail.get("to_user"):
        values["target"] = ctx.person(detail["to_user"])
        text = _("%(step)s transferred to %(target)s by %(who)s") % values
    else:
        values["target"] = detail.get("to_group") or ""
        text = _("%(step)s transferred to the %(target)s queue by %(who)s") % values
    return Line(event, text, quote=str(detail.get("reason") or ""))


def _sent_back(event, detail, ctx) -> Line:
    text = _("%(who)s sent the ticket back to %(target)s") % {
        "who": ctx.actor(event),
        "target": ctx.step_name(str(detail.get("to") or "")),
    }
    return Line(event, text, quote=str(detail.get("reason") or ""), tone="warning")


def _task_completed(event, detail, ctx) -> Line:
    data = detail.get("data") if isinstance(detail.get("data"), Mapping) else {}
    if event.bpmn_id == "accept" and data.get("accepted") is True:
        text = _("%(who)s accepted the ticket") % {"who": ctx.actor(event)}
    else:
        text = _("%(who)s completed %(step)s") % {
            "who": ctx.actor(event),
            "step": _step(event, ctx),
        }
    entries = [ctx.formatter.entry(k, v) for k, v in data.items() if k != "comment"]
    return Line(event, text, quote=str(data.get("comment") or ""), entries=entries)


def _decided(approve: bool):
    def write(event, detail, ctx) -> Line:
        values = {"who": ctx.actor(event), "step": _step(event, ctx)}
        text = _("%(who)s approved %(step)s") if approve else _("%(who)s rejected %(step)s")
        return Line(event, text % values, quote=str(detail.get("reason") or ""))

    return write


def _task_cancelled(event, detail, ctx) -> Line:
    return Line(event, _("%(step)s was withdrawn") % {"step": _step(event, ctx)})


def _decision(event, detail, ctx) -> Line:
    decision = str(detail.get("decision_id") or "")
    rules = detail.get("matched_rules") or ([detail["rule"]] if detail.get("rule") else [])
    version = str(detail.get("version") or "")
    label = rule_label(decision, version, rules[0]) if rules else ""
    values = {
        "decision": decision_name(decision, version),
        "version": version_label(version),
        "rule": label,
    }
    if label:
        text = _("Decision table %(decision)s (%(version)s) applied rule ‘%(rule)s’") % values
    elif rules:
        values["rule"] = ", ".join(str(r) for r in rules)
        text = _("Decision table %(decision)s (%(version)s) applied rule %(rule)s") % values
    else:
        text = _("Decision table %(decision)s (%(version)s): no rule matched") % values
    outputs = detail.get("outputs") if isinstance(detail.get("outputs"), Mapping) else {}
    entries = [ctx.formatter.entry(k, v) for k, v in outputs.items() if k not in ENGINE_KEYS]
    if isinstance(outputs.get("priority"), int):
        entries.insert(0, Entry("priority", _("Priority"), text=priority_name(outputs["priority"])))
    return Line(event, text, entries=entries)


def _timer_fired(event, detail, ctx) -> Line:
    return Line(event, _("Timer “%(step)s” went off") % {"step": _step(event, ctx)})


def _incident(event, detail, ctx) -> Line:
    text = _("Something went wrong at %(step)s") % {"step": _step(event, ctx)}
    return Line(event, text, quote=incident_text(detail), tone="breached")


def _retried(event, detail, ctx) -> Line:
    if detail.get("ok") is False:
        return Line(event, _("%(who)s retried; it failed again") % {"who": ctx.actor(event)})
    return Line(event, _("%(who)s retried and it went through") % {"who": ctx.actor(event)})


def _completed(event, detail, ctx) -> Line:
    return Line(event, _("The ticket was closed"), tone="done")


def _cancelled(event, detail, ctx) -> Line:
    text = _("%(who)s cancelled the ticket") % {"who": ctx.actor(event)}
    return Line(event, text, quote=str(detail.get("reason") or ""))


def _message(event, detail, ctx) -> Line:
    text = _("Message “%(name)s” arrived") % {"name": humanize(detail.get("name") or "")}
    return Line(event, text)


def _message_posted(event, detail, ctx) -> Line:
    customer = detail.get("author_kind") == "customer"
    if customer:
        who = detail.get("from") or _("The customer")
        text = _("%(who)s wrote to us") % {"who": who}
    elif detail.get("visibility") == "public":
        text = _("%(who)s replied to the customer") % {"who": ctx.actor(event)}
    else:
        text = _("%(who)s added an internal note") % {"who": ctx.actor(event)}
    if detail.get("attachments"):
        count = int(detail["attachments"])
        note = _("%(count)s attachment(s)") % {"count": count}
    else:
        note = ""
    return Line(event, text, note=note)


def _info_requested(event, detail, ctx) -> Line:
    text = _("%(who)s asked the customer for information") % {"who": ctx.actor(event)}
    return Line(event, text, quote=str(detail.get("question") or ""))


def _info_received(event, detail, ctx) -> Line:
    text = _("The customer answered; %(step)s goes on") % {"step": _step(event, ctx)}
    return Line(event, text)


def _sla_warning(event, detail, ctx) -> Line:
    text = _("%(step)s is close to its due time (warning %(level)s)") % {
        "step": _step(event, ctx),
        "level": detail.get("level") or "",
    }
    return Line(event, text, note=_told(detail, ctx), tone="warning")


def _sla_breached(event, detail, ctx) -> Line:
    text = _("%(step)s is overdue") % {"step": _step(event, ctx)}
    return Line(event, text, note=_told(detail, ctx), tone="breached")


def _told(detail, ctx) -> str:
    people = [ctx.person(u) for u in detail.get("to") or [] if isinstance(u, str)]
    return _("Told %(people)s") % {"people": ", ".join(people)} if people else ""


def _escalated(event, detail, ctx) -> Line:
    step = _step(event, ctx)
    if detail.get("to_user"):
        text = _("%(step)s escalated to %(person)s") % {
            "step": step,
            "person": ctx.person(detail["to_user"]),
        }
    elif detail.get("to_group"):
        text = _("%(step)s escalated to the %(group)s queue") % {
            "step": step,
            "group": detail["to_group"],
        }
    else:
        text = _("%(step)s is overdue and nobody is set up to take the escalation") % {"step": step}
    return Line(event, text, tone="breached")


def _customer_linked(event, detail, ctx) -> Line:
    text = _("%(who)s linked the ticket to a known customer") % {"who": ctx.actor(event)}
    return Line(event, text)


def _customer_link_rejected(event, detail, ctx) -> Line:
    text = _("%(who)s kept the ticket apart from a known customer") % {"who": ctx.actor(event)}
    return Line(event, text)


def _requester_mismatch(event, detail, ctx) -> Line:
    return Line(
        event,
        _("The requester's %(key)s belongs to a customer under another name")
        % {"key": detail.get("matched_by") or _("contact")},
        tone="warning",
    )


def _reopened(event, detail, ctx) -> Line:
    text = _("The customer reopened the ticket as %(number)s") % {
        "number": detail.get("follow_up") or ""
    }
    return Line(event, text)


def _follow_up_not_opened(event, detail, ctx) -> Line:
    text = _("A follow-up ticket could not be opened")
    return Line(event, text, quote=str(detail.get("reason") or ""), tone="breached")


def _rated(event, detail, ctx) -> Line:
    text = _("The customer rated the service %(score)s of 5") % {"score": detail.get("score")}
    return Line(event, text, quote=str(detail.get("comment") or ""))


def _priority_changed(event, detail, ctx) -> Line:
    before, after = detail.get("before"), detail.get("after")
    words = {
        "who": ctx.actor(event),
        "before": priority_name(before),
        "after": priority_name(after),
    }
    if isinstance(before, int) and isinstance(after, int) and after != before:
        if after > before:
            text = _("%(who)s raised the priority from %(before)s to %(after)s") % words
        else:
            text = _("%(who)s lowered the priority from %(before)s to %(after)s") % words
    else:
        text = _("%(who)s changed the priority from %(before)s to %(after)s") % words
    if detail.get("due_at"):
        text = _("%(change)s; due time moved to %(due)s") % {
            "change": text,
            "due": when(detail["due_at"]),
        }
    return Line(event, text, quote=str(detail.get("reason") or ""))


def _parts_released(event, detail, ctx) -> Line:
    parts = ", ".join(
        f"{part.get('name') or part.get('sku')} × {part.get('quantity')}"
        for part in detail.get("parts") or ()
    )
    if detail.get("reason") == "sent_back":
        text = _("Parts went back to stock because the work was sent back: %(parts)s")
    else:
        text = _("Parts went back to stock because the ticket was cancelled: %(parts)s")
    return Line(event, text % {"parts": parts})


def _commented(event, detail, ctx) -> Line:
    text = _("%(who)s commented") % {"who": ctx.actor(event)}
    return Line(event, text, quote=str(detail.get("body") or ""))


def _appointment(sentence: str):
    """Booked, moved, cancelled, checked in or out: who, when, with whom, for what."""

    def write(event, detail, ctx) -> Line:
        who = _("The customer") if detail.get("by_customer") else ctx.actor(event)
        text = _(sentence) % {
            "who": who,
            "start": when(detail.get("start") or ""),
            "at": when(detail.get("at_time") or ""),
            "previous": when(detail.get("previous") or ""),
            "resource": local_name(detail.get("resource")),
        }
        return Line(event, text, note=local_name(detail.get("service")))

    return write


def _appointment_moved(event, detail, ctx) -> Line:
    if detail.get("previous"):  # events before the old time was recorded lack it
        sentence = gettext_noop(
            "%(who)s moved the appointment from %(previous)s to %(start)s with %(resource)s"
        )
    else:
        sentence = gettext_noop("%(who)s moved the appointment to %(start)s with %(resource)s")
    return _appointment(sentence)(event, detail, ctx)


def _appointment_cancelled(event, detail, ctx) -> Line:
    """By a person, or given up with the work it was booked for."""
    reason = detail.get("reason")
    if reason not in ("cancelled", "sent_back"):
        return _appointment(
            gettext_noop("%(who)s cancelled the appointment of %(start)s with %(resource)s")
        )(event, detail, ctx)
    if reason == "sent_back":
        text = _(
            "The appointment of %(start)s with %(resource)s was cancelled because the work "
            "was sent back"
        )
    else:
        text = _(
            "The appointment of %(start)s with %(resource)s was cancelled because the ticket "
            "was cancelled"
        )
    values = {
        "start": when(detail.get("start") or ""),
        "resource": local_name(detail.get("resource")),
    }
    return Line(event, text % values, note=local_name(detail.get("service")))


SENTENCES: dict[str, Callable[[TicketEvent, dict, Context], Line]] = {
    "created": _created,
    "task_created": _task_created,
    "assigned": _assigned,
    "sla_started": _sla_started,
    "claimed": _claimed,
    "released": _released,
    "transferred": _transferred,
    "sent_back": _sent_back,
    "task_completed": _task_completed,
    "approved": _decided(True),
    "rejected": _decided(False),
    "task_cancelled": _task_cancelled,
    "decision": _decision,
    "timer_fired": _timer_fired,
    "incident": _incident,
    "retried": _retried,
    "completed": _completed,
    "cancelled": _cancelled,
    "message": _message,
    "message_posted": _message_posted,
    "info_requested": _info_requested,
    "info_received": _info_received,
    "sla_warning": _sla_warning,
    "sla_breached": _sla_breached,
    "escalated": _escalated,
    "customer_linked": _customer_linked,
    "customer_link_rejected": _customer_link_rejected,
    "requester_mismatch": _requester_mismatch,
    "reopened": _reopened,
    "follow_up_not_opened": _follow_up_not_opened,
    "rated": _rated,
    "commented": _commented,
    "priority_changed": _priority_changed,
    "parts_released": _parts_released,
    "appointment_booked": _appointment(
        gettext_noop("%(who)s booked an appointment for %(start)s with %(resource)s")
    ),
    "appointment_moved": _appointment_moved,
    "appointment_cancelled": _appointment_cancelled,
    "checked_in": _appointment(gettext_noop("%(who)s checked in on site at %(at)s")),
    "checked_out": _appointment(gettext_noop("%(who)s checked out on site at %(at)s")),
}
TONES = {"completed": "done", "rejected": "warning"}
