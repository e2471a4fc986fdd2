"""What the ticket page shows a person: the header (who, how urgent, how late), the data
under its titles, the timeline in sentences a page at a time, the open steps with their
operations. Everything shown passes through the reader's view (tickets.visibility).

The page's statement count does not grow with the ticket's age: events come a page at a
time, the people they name in one query, rule descriptions from the reference cache."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from bpmn import runtime
from definitions.deploy import compiled_for
from definitions.element_names import element_labels, local_name, output_options, output_titles
from notify.models import ChannelPreference
from tickets import operations
from tickets.access import may_act_on_task, visible_tickets
from tickets.display import Formatter, Names, data_entries, humanize, referenced_names
from tickets.fields import version_fields
from tickets.models import HumanTask, Ticket
from tickets.pickers import transfer_groups
from tickets.queries import timeline_page
from tickets.taskstate import OPEN_STATES
from tickets.timeline import Context, Line, sentences, usernames_in
from tickets.visibility import Reader, TicketView
from tickets.words import priority_name, status_name, tier_name

TIMELINE_PAGE = 50
HISTORY_ROWS = 5


def zone_of(user) -> ZoneInfo:
    """The reader's time zone (their notification preferences), else the deployment's."""
    name = (
        ChannelPreference.objects.filter(user_id=user.id)
        .values_list("time_zone", flat=True)
        .first()
        if user.is_authenticated
        else None
    )
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


@dataclass
class Clock:
    """One open step's service-level clock: "ok", "warning" or "breached"."""

    task: HumanTask
    level: str
    due_at: dt.datetime | None
    paused: bool

    @property
    def label(self) -> str:
        if self.paused:
            return _("Paused: waiting for the customer")
        return {"ok": _("On time"), "warning": _("Due soon"), "breached": _("Overdue")}[self.level]


def clock_of(task: HumanTask, now: dt.datetime) -> Clock:
    marks = [(level, dt.datetime.fromisoformat(at)) for level, at in task.sla_marks or []]
    if task.due_at is not None and now >= task.due_at:
        level = "breached"
    elif task.sla_level or any(at <= now for _level, at in marks[:-1]):
        level = "warning"
    else:
        level = "ok"
    return Clock(task, level, task.due_at, task.sla_paused_at is not None)


class Steps:
    """Step names of the ticket's process version in the reader's language (the BPMN
    names through definitions.element_names, ids as a last resort)."""

    def __init__(self, ticket: Ticket):
        self.compiled = compiled_for(ticket.process_version)
        self._names: dict[str, str] = dict(element_labels(ticket.process_version))

    def __call__(self, bpmn_id: str) -> str:
        if bpmn_id not in self._names:
            info = runtime.node(self.compiled, bpmn_id) if bpmn_id else None
            name = local_name(info.name) if info and info.name else ""
            self._names[bpmn_id] = name or humanize(bpmn_id)
        return self._names[bpmn_id]


def timeline(ticket: Ticket, view: TicketView, cursor: str = ""):
    """(lines, next cursor): one page of the timeline in sentences."""
    page = timeline_page(ticket, cursor, limit=TIMELINE_PAGE)
    details = [view.detail(e.kind, e.detail) for e in page.items]
    fields = version_fields(ticket.process_version)
    names = Names.load(usernames_in(details) | _usernames_of_data(details, fields))
    titles, options = output_titles(ticket.process_version), output_options(ticket.process_version)
    ctx = Context(names, Steps(ticket), Formatter(fields, names, titles, options))
    return _folded(sentences(page.items, details, ctx)), page.next_cursor


def _usernames_of_data(details, fields) -> set[str]:
    found: set[str] = set()
    for detail in details:
        if isinstance(detail.get("data"), dict):
            found |= referenced_names(detail["data"], fields)["usernames"]
    return found


def _folded(lines: list[Line]) -> list[Line]:
    """An approval or rejection is said once: the completion of its step that follows
    (the same person, the same step) adds nothing; nor does a step's opening followed by
    its assignment, which names the step."""
    out: list[Line] = []
    for index, line in enumerate(lines):
        following = lines[index + 1].event if index + 1 < len(lines) else None
        if (
            line.event.kind == "task_created"
            and following is not None
            and following.kind == "assigned"
            and following.task_id == line.event.task_id
        ):
            continue
        previous = out[-1].event if out else None
        if (
            line.event.kind == "task_completed"
            and previous is not None
            and previous.kind in ("approved", "rejected")
            and previous.task_id == line.event.task_id
            and previous.actor_id == line.event.actor_id
        ):
            continue
        out.append(line)
    return out


@dataclass
class OpenStep:
    task: HumanTask
    clock: Clock
    can_act: bool
    operations: list[str]
    send_back_targets: list[tuple[str, str]]
    transfer_groups: list[str]


def open_steps(user, ticket: Ticket, steps: Steps, now: dt.datetime) -> list[OpenStep]:
    tasks = ticket.tasks.filter(state__in=OPEN_STATES).select_related("assignee")
    found = []
    for task in tasks:
        task.ticket = ticket
        allowed = operations.allowed_operations(user, task)
        found.append(
            OpenStep(
                task,
                clock_of(task, now),
                may_act_on_task(user, task),
                allowed,
                *operation_choices(task, allowed, steps),
            )
        )
    return found


def operation_choices(task: HumanTask, allowed, steps: Steps):
    """(send back targets as (id, name), groups to transfer to) for the dialogs."""
    targets = operations.send_back_targets(task) if "send_back" in allowed else []
    groups = transfer_groups(task) if "transfer" in allowed else []
    return [(t, steps(t)) for t in targets], groups


def customer_card(user, reader: Reader, ticket: Ticket) -> dict | None:
    """The linked customer, their tier and their other tickets this user may see."""
    customer = ticket.customer
    if customer is None:
        return None
    others = list(
        visible_tickets(user)
        .filter(customer_id=customer.id)
        .exclude(id=ticket.id)
        .select_related("process_version")
        .only("id", "number", "title", "status", "created_at", "process_version")
        .order_by("-id")[:HISTORY_ROWS]
    )
    reader.prime(others)
    return {
        "customer": customer,
        "tier": tier_name(customer.tier),
        "others": [
            {"ticket": t, "title": reader.view(t).text(t.title), "status": status_name(t.status)}
            for t in others
        ],
    }


def page_context(user, ticket: Ticket, reader: Reader) -> dict:
    """The ticket page's context; times come out in the active time zone (see zone_of)."""
    now = timezone.now()
    view = reader.view(ticket)
    steps = Steps(ticket)
    fields = version_fields(ticket.process_version)
    shown = view.data(ticket.data)
    names = Names.load(**referenced_names(shown, fields))
    titles, options = output_titles(ticket.process_version), output_options(ticket.process_version)
    described, other = data_entries(shown, fields, names, titles, options)
    lines, next_cursor = timeline(ticket, view)
    return {
        "ticket": ticket,
        "title": view.text(ticket.title),
        "priority_name": priority_name(ticket.priority),
        "status_name": status_name(ticket.status),
        "customer_card": customer_card(user, reader, ticket),
        "steps": open_steps(user, ticket, steps, now),
        "entries": described,
        "other_entries": other,
        "timeline": lines,
        "timeline_next": next_cursor,
        "process_name": local_name(ticket.process_version.name) or ticket.process_version.key,
    }
