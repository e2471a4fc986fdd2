"""The worklist's filter forms (GET, kept in the URL) and the bulk-action form, with the
words people read for priorities, channels, states and SLA states."""

import datetime as dt
import html

from django import forms
from django.contrib.auth.models import Group, User
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from definitions import refdata
from definitions.element_names import group_name, local_name
from definitions.models import ProcessVersion
from tickets import bulk
from tickets.access import is_supervisor
from tickets.models import Ticket
from tickets.search import SORTS as TICKET_SORTS
from tickets.search import TicketFilters
from tickets.worklists import SORTS, WorklistFilters

PRIORITIES = {
    Ticket.Priority.LOW: _("Low"),
    Ticket.Priority.NORMAL: _("Normal"),
    Ticket.Priority.HIGH: _("High"),
    Ticket.Priority.URGENT: _("Urgent"),
    Ticket.Priority.VIP: _("VIP"),
}
CHANNELS = {
    "pc": pgettext_lazy("channel", "Workbench"),
    "mobile": pgettext_lazy("channel", "Mobile app"),
    "h5": pgettext_lazy("channel", "Mobile web"),
    "webform": pgettext_lazy("channel", "Web form"),
    "miniprogram": pgettext_lazy("channel", "Mini program"),
    "email": pgettext_lazy("channel", "E-mail"),
    "phone": pgettext_lazy("channel", "Phone"),
    "api": pgettext_lazy("channel", "API"),
}
TICKET_STATUSES = {
    "active": _("Open"),
    "completed": _("Completed"),
    "cancelled": _("Closed"),
}
TASK_STATES = {"open": _("Unclaimed"), "claimed": _("Claimed")}
SLA_STATES = {
    "overdue": _("Overdue"),
    "due_soon": _("Due soon"),
    "on_time": _("On time"),
    "none": _("No deadline"),
}
SORT_LABELS = {
    "priority": _("Priority, then due time"),
    "due": _("Due time"),
    "created": _("Newest tickets"),
    "updated": _("Recently updated"),
}
MAX_PEOPLE = 200


def display_name(user) -> str:
    return user.get_full_name() or user.username


def assignable_people(user, text: str = "", limit: int = MAX_PEOPLE) -> list[User]:
    """Active staff a task may be handed to by `user`, by name: the members of the user's
    groups (supervisors: every active staff member)."""
    people = User.objects.filter(is_active=True, is_staff=True)
    if not is_supervisor(user):
        mine = user.groups.through.objects.filter(user_id=user.id).values("group_id")
        people = people.filter(groups__in=mine).distinct()
    if text:
        people = people.filter(
            Q(first_name__icontains=text)
            | Q(last_name__icontains=text)
            | Q(username__icontains=text)
        )
    people = people.only("id", "username", "first_name", "last_name")
    return list(people.order_by("first_name", "last_name", "username")[:limit])


def transfer_groups(user) -> list[Group]:
    """The queues `user` may move tasks to: their groups (supervisors: every group)."""
    groups = Group.objects.all() if is_supervisor(user) else user.groups.all()
    return list(groups.order_by("name"))


def offered_to(user) -> tuple[tuple[User, ...], tuple[Group, ...]]:
    """The people and queues the worklist page offers `user` (`assignable_people`,
    `transfer_groups`), read once per reference token: users, groups and memberships are
    reference data. Shared instances, to show; a bulk action reads its own."""

    def load():
        return tuple(assignable_people(user)), tuple(transfer_groups(user))

    return refdata.cached(("worklist_offers", user.id), load)


def _templates() -> list[tuple[str, str]]:
    """(key, name in the active language) of every template, by name; the latest version's
    name (reference data: deploying a version bumps the token)."""
    names = {key: local_name(name) or key for key, name in _latest_names()}
    return sorted(names.items(), key=lambda item: str(item[1]))


def _latest_names() -> tuple[tuple[str, str], ...]:
    def load():
        latest = {}
        for key, name in ProcessVersion.objects.order_by("key", "-version").values_list(
            "key", "name"
        ):
            latest.setdefault(key, name)
        return tuple(latest.items())

    return refdata.cached(("template_names",), load)


def _choices(empty, labels: dict) -> list:
    return [("", empty), *((str(k), v) for k, v in labels.items())]


def html_text(value) -> str:
    """A value escaped for HTML unless it is safe already (conditional_escape, without
    its check of the arguments for lazy translations: a lazy one is read by str)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


class PlainSelect(forms.Select):
    """The stock select's markup, its options joined in Python: the stock widget renders
    each <option> through a template include, which on the worklist (ten selects, a
    person per member of the agent's groups) cost more than its fifty rows; the stock
    widget's option dictionaries and a format_html per option cost half the rest. Choices
    without groups; one option at most is selected, the first of the value's (as in the
    stock widget)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        options = []
        for option, label in self.choices:
            option = "" if option is None else str(option)
            selected = option in chosen
            if selected:
                chosen = ()
            options.append(
                f'\n  <option value="{html_text(option)}"{" selected" if selected else ""}>'
                f"{html_text(label)}</option>"
            )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            SafeString("".join(options)),
        )


class _Filters(forms.Form):
    """Shared fields: text, template, priority, channel, creation days."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
    process = forms.ChoiceField(label=_("Template"), required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=_choices(_("Any priority"), PRIORITIES),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=_choices(_("Any channel"), CHANNELS)
    )
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["process"].choices = [("", _("Any template")), *_templates()]

    def value(self, name):
        """The field's clean value, or its empty value when it was not valid."""
        return self.cleaned_data.get(name) if self.is_bound else None

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and end < start:
            self.add_error("created_to", _("The end of the range is before its start."))
        return data


class WorklistFilterForm(_Filters):
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_choices(_("Any status"), TASK_STATES),
        widget=PlainSelect,
    )
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=_choices(_("Any SLA state"), SLA_STATES),
        widget=PlainSelect,
    )
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=list(SORT_LABELS.items()),
        widget=PlainSelect,
    )

    field_order = ["q", "process", "state", "priority", "sla", "assignee", "channel"]

    def __init__(self, data=None, *, people=(), **kwargs):
        super().__init__(data, **kwargs)
        for name in ("process", "priority", "channel"):  # declared for the ticket list too
            self.fields[name].widget = PlainSelect(choices=self.fields[name].choices)
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("0", _("Nobody (unclaimed)")),
            *((str(p.id), display_name(p)) for p in people),
        ]

    def filters(self) -> WorklistFilters:
        get = self.value
        sort = get("sort") if get("sort") in SORTS else "priority"
        return WorklistFilters(
            q=get("q") or "",
            process=get("process") or "",
            state=get("state") or "",
            priority=get("priority"),
            sla=get("sla") or "",
            assignee=get("assignee"),
            channel=get("channel") or "",
            created_from=get("created_from"),
            created_to=get("created_to"),
            sort=sort,
        )


class TicketFilterForm(_Filters):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_choices(_("Any status"), TICKET_STATUSES)
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(name, SORT_LABELS[name]) for name in TICKET_SORTS],
    )

    field_order = ["q", "status", "process", "priority", "channel"]

    def filters(self) -> TicketFilters:
        get = self.value
        return TicketFilters(
            q=get("q") or None,
            status=get("status") or None,
            process=get("process") or None,
            min_priority=get("priority"),
            channel=get("channel") or None,
            created_after=_day(get("created_from")),
            created_before=_day(get("created_to"), next_day=True),
            sort=get("sort") if get("sort") in TICKET_SORTS else "created",
        )


def _day(day, next_day: bool = False):
    if day is None:
        return None
    if next_day:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class BulkForm(forms.Form):
    """The selected rows and what to do with them (each action names its own inputs)."""

    task = forms.TypedMultipleChoiceField(coerce=int, required=False)
    action = forms.ChoiceField(choices=[(a, a) for a in bulk.ACTIONS])
    to_user = forms.TypedChoiceField(
        label=_("Assign to"), coerce=int, required=False, widget=PlainSelect
    )
    to_group = forms.ChoiceField(
        label=_("Move to the queue of"), required=False, widget=PlainSelect
    )
    priority = forms.TypedChoiceField(
        label=_("New priority"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=_choices(_("Choose…"), PRIORITIES),
        widget=PlainSelect,
    )
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=500)

    def __init__(self, data=None, *, people=(), groups=(), **kwargs):
        super().__init__(data, auto_id="bulk_%s", **kwargs)  # apart from the filters' ids
        self.people = {p.id: p for p in people}
        self.groups = {g.name: g for g in groups}
        self.fields["task"].choices = [(v, v) for v in (data.getlist("task") if data else [])]
        self.fields["to_user"].choices = [
            ("", _("Choose a person…")),
            *((p.id, display_name(p)) for p in people),
        ]
        self.fields["to_group"].choices = [
            ("", _("Choose a queue…")),
            *((g.name, group_name(g.name)) for g in groups),
        ]

    def bulk_request(self) -> bulk.BulkRequest:
        data = self.cleaned_data
        return bulk.BulkRequest(
            action=data["action"],
            task_ids=data.get("task") or [],
            to_user=self.people.get(data.get("to_user")),
            to_group=self.groups.get(data.get("to_group")),
            priority=data.get("priority"),
            reason=data.get("reason") or "",
        )
