"""The worklist's rows as HTML, one string a row.

A page shows fifty rows of ten cells; through the template engine each of their thirty
values costs a variable lookup, a localisation and an escape, which made the rows the
dearest part of the page. Here the words that are the same on every row (column labels,
link prefixes, the time format, names of steps and templates) are worked out once a page
and each row is one `str.format` of escaped values (`format_html` asks of every value
whether it is a lazy translation first, which cost as much as the rest of the row). The
page's template shows the strings, and what it says when there are none.
"""

from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from definitions.element_names import local_name
from tickets import worklists
from tickets.worklist_forms import (
    CHANNELS,
    PRIORITIES,
    SLA_STATES,
    TASK_STATES,
    display_name,
    html_text,
)

ROW = """
<tr class="fd-row fd-sla-{sla}">
  <td class="fd-select"><input type="checkbox" name="task" value="{id}" id="select-{id}" \
hx-preserve aria-label="{select}"></td>
  <td class="fd-ticket-cell"><a href="{ticket_url}">{number}</a>\
<span class="fd-row-title">{title}</span></td>
  <td data-label="{l_step}"><a href="{task_url}">{step}</a>\
<span class="fd-row-template">{template}</span></td>
  <td data-label="{l_customer}">{customer}</td>
  <td data-label="{l_priority}"><span class="fd-prio fd-prio-{priority}">{priority_label}</span>\
</td>
  <td data-label="{l_status}">{state_label}</td>
  <td data-label="{l_sla}"><span class="fd-sla fd-sla-badge-{sla}">{sla_label}</span>{due}</td>
  <td data-label="{l_assignee}">{assignee}</td>
  <td data-label="{l_channel}">{channel_label}</td>
  <td data-label="{l_created}"><time datetime="{created_iso}">{created_text}</time></td>
</tr>"""
NOBODY = '<span class="fd-muted">{}</span>'
DUE = ' <time datetime="{}">{}</time>'


class RowText:
    """What every row of a page shares, worked out once a page: the column labels in the
    active language, the ticket and task links, the reader's time format, and step and
    template names (the template filters would look up the language, the zone and the
    format again for every value)."""

    def __init__(self):
        labels = _escaped(
            {
                "l_step": _("Step"),
                "l_customer": _("Customer"),
                "l_priority": _("Priority"),
                "l_status": _("Status"),
                "l_sla": _("SLA"),
                "l_assignee": _("Assignee"),
                "l_channel": _("Channel"),
                "l_created": pgettext("column", "Created"),
            }
        )
        self.row = ROW  # the labels in the row's pattern, once a page
        for key, label in labels.items():
            self.row = self.row.replace(f"{{{key}}}", label.replace("{", "{{").replace("}", "}}"))
        self.priorities = _escaped(PRIORITIES)
        self.states = _escaped(TASK_STATES)
        self.slas = _escaped(SLA_STATES)
        self.channels = _escaped(CHANNELS)
        self.nobody = format_html(NOBODY, _("Nobody yet"))
        self.no_customer = format_html(NOBODY, "—")
        self.select = _("Select %(number)s")
        self.ticket = reverse("tickets:ticket", args=["0"])[:-2]
        self.task = reverse("tickets:task", args=[0])[:-2]
        # The time format split once a page into literal text and format characters
        # (odd places), as dateformat.format splits it for every value.
        self.short = [
            piece if i % 2 else re_escaped.sub(r"\1", piece)
            for i, piece in enumerate(
                re_formatchars.split(str(get_format("SHORT_DATETIME_FORMAT")))
            )
        ]
        self.zone = timezone.get_current_timezone()
        self._names: dict[str, str] = {}

    def name(self, stored) -> str:
        key = str(stored or "")
        if key not in self._names:
            self._names[key] = local_name(key)
        return self._names[key]

    def time(self, value) -> tuple[str, str]:
        """(machine-readable, as people read it) of an aware time, or two empty strings."""
        if value is None:
            return "", ""
        local = value.astimezone(self.zone)
        formatter = DateFormat(local)
        text = "".join(
            str(getattr(formatter, piece)()) if i % 2 else piece
            for i, piece in enumerate(self.short)
        )
        return local.isoformat(), text


def _escaped(words: dict) -> dict:
    """The words (lazy translations among them) in the active language, escaped once."""
    return {key: escape(str(word)) for key, word in words.items()}


def row_html(task, reader, now, text: RowText) -> SafeString:
    ticket = task.ticket
    sla = worklists.sla_state(task.due_at, now)
    due_iso, due_text = text.time(task.due_at)
    created_iso, created_text = text.time(ticket.created_at)
    customer = ticket.customer.name if ticket.customer_id else text.no_customer
    values = dict(
        sla=sla,
        id=task.id,
        select=text.select % {"number": ticket.number},
        ticket_url=f"{text.ticket}{quote(ticket.number, safe='')}/",
        number=ticket.number,
        title=reader.view(ticket).text(ticket.title),
        task_url=f"{text.task}{int(task.id)}/",
        step=text.name(task.name),
        template=text.name(ticket.process_version.name),
        customer=customer,
        priority=task.priority,
        priority_label=text.priorities.get(task.priority, task.priority),
        state_label=text.states.get(task.state, task.state),
        sla_label=text.slas[sla],
        due=format_html(DUE, due_iso, due_text) if due_iso else "",
        assignee=display_name(task.assignee) if task.assignee_id else text.nobody,
        channel_label=text.channels.get(ticket.channel, ticket.channel),
        created_iso=created_iso,
        created_text=created_text,
    )
    return SafeString(text.row.format_map({key: html_text(v) for key, v in values.items()}))
