"""The dashboard's tables: readable labels, numbers formatted once, so the HTML table, its
CSV export and the chart data all show the same values."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from analytics import queries
from analytics.queries import DIMENSIONS, Report, derived
from customers.models import Customer
from definitions.element_names import group_name, local_name
from definitions.models import ProcessVersion
from tickets.models import HumanTask

CHANNELS = {
    "pc": _("PC"),
    "mobile": _("Mobile app"),
    "h5": _("H5 page"),
    "webform": _("Web form"),
    "miniprogram": _("Mini program"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "api": _("API"),
}
TIERS = {
    Customer.Tier.STANDARD: _("Standard"),
    Customer.Tier.GOLD: _("Gold"),
    Customer.Tier.VIP: _("VIP"),
}
DIMENSION_TITLES = {
    "agent": _("By agent"),
    "group": _("By group"),
    "template": _("By template"),
    "channel": _("By channel"),
    "tier": _("By customer tier"),
}
DIMENSION_HEADS = {
    "agent": _("Agent"),
    "group": _("Group"),
    "template": _("Template"),
    "channel": _("Channel"),
    "tier": _("Customer tier"),
}
TABLE_NAMES = ("trend", *DIMENSIONS, "sla", "csat", "nodes", "low_ratings", "backlog")

# (metric, header) of the per-dimension and trend tables.
METRIC_COLUMNS = (
    ("created", _("Created")),
    ("resolved", _("Resolved")),
    ("resolution_rate", _("Resolution rate (%)")),
    ("reopen_rate", _("Reopen rate (%)")),
    ("first_response_h", _("Avg first response (h)")),
    ("resolution_h", _("Avg resolution (h)")),
    ("resolution_business_h", _("Avg resolution, business hours (h)")),
    ("sla_compliance", _("SLA compliance (%)")),
    ("breaches", _("SLA breaches")),
    ("ratings", _("Ratings")),
    ("csat", _("CSAT (1-5)")),
)


@dataclass
class Cell:
    text: str
    value: float | int | str | None = None
    href: str = ""


@dataclass
class Table:
    name: str
    title: str
    headers: list
    rows: list[list[Cell]] = field(default_factory=list)


def number(value, digits: int = 1) -> Cell:
    if value is None:
        return Cell("—", None)
    if isinstance(value, int):
        return Cell(str(value), value)
    return Cell(f"{value:.{digits}f}", round(value, digits))


def _labels(dimension: str, keys) -> dict[str, str]:
    keys = list(keys)
    if dimension == "agent":
        users = get_user_model().objects.filter(username__in=keys)
        names = {u.username: u.get_full_name() or u.username for u in users}
        return {k: names.get(k, k) if k else str(_("Unassigned")) for k in keys}
    if dimension == "group":
        return {k: group_name(k) if k else str(_("No group")) for k in keys}
    if dimension == "template":
        names = dict(
            ProcessVersion.objects.filter(key__in=keys)
            .order_by("version")
            .values_list("key", "name")
        )
        return {k: local_name(names.get(k)) or k or str(_("Unknown template")) for k in keys}
    if dimension == "channel":
        return {k: str(CHANNELS.get(k, k or _("Unknown channel"))) for k in keys}
    if dimension == "tier":
        return {k: str(TIERS.get(k, k)) if k else str(_("No customer")) for k in keys}
    return {k: k for k in keys}


def _metric_row(label: str, counters: dict) -> list[Cell]:
    values = derived(counters)
    return [Cell(label, label), *(number(values[m]) for m, _h in METRIC_COLUMNS)]


def _period_label(day: dt.date, period: str) -> str:
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "week":
        year, week, _day = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def build(first, last, period, reader, only: str | None = None) -> list[Table]:
    """The dashboard's tables in page order (just `only` for a CSV export)."""
    report = Report(first, last)
    wanted = [only] if only else list(TABLE_NAMES)
    built = []
    for name in wanted:
        if name == "trend":
            table = Table(name, _("Trend"), [_("Period"), *(h for _m, h in METRIC_COLUMNS)])
            for day, counters in report.series(period).items():
                table.rows.append(_metric_row(_period_label(day, period), counters))
        elif name in DIMENSIONS:
            by = report.by(name)
            labels = _labels(name, by)
            heads = [DIMENSION_HEADS[name], *(h for _m, h in METRIC_COLUMNS)]
            table = Table(name, DIMENSION_TITLES[name], heads)
            rows = sorted(by.items(), key=lambda item: labels[item[0]].lower())
            table.rows = [_metric_row(labels[key], counters) for key, counters in rows]
        elif name == "sla":
            table = _sla_table(report)
        elif name == "csat":
            table = _csat_table(report)
        elif name == "nodes":
            table = _nodes_table(report)
        elif name == "low_ratings":
            table = _low_ratings_table(first, last, reader)
        elif name == "backlog":
            table = backlog_table()
        built.append(table)
    return built


def _sla_table(report: Report) -> Table:
    table = Table(
        "sla",
        _("SLA warnings and breaches"),
        [
            _("Group"),
            _("Warning 1"),
            _("Warning 2"),
            _("Warning 3"),
            _("Breaches"),
            _("Tasks with an SLA"),
            _("Breached tasks"),
            _("SLA compliance (%)"),
        ],
    )
    by = report.by("group")
    labels = _labels("group", by)
    for key, c in sorted(by.items(), key=lambda item: labels[item[0]].lower()):
        table.rows.append(
            [
                Cell(labels[key], labels[key]),
                number(c["warnings_1"]),
                number(c["warnings_2"]),
                number(c["warnings_3"]),
                number(c["breaches"]),
                number(c["sla_tasks"]),
                number(c["sla_breached_tasks"]),
                number(derived(c)["sla_compliance"]),
            ]
        )
    return table


def _csat_table(report: Report) -> Table:
    total = report.total()
    table = Table(
        "csat", _("Satisfaction (CSAT) distribution"), [_("Score"), _("Ratings"), _("Share (%)")]
    )
    for score in range(5, 0, -1):
        count = total[f"rating_{score}"]
        share = count / total["ratings"] * 100 if total["ratings"] else None
        table.rows.append([Cell(str(score), score), number(count), number(share)])
    return table


def _nodes_table(report: Report) -> Table:
    """Per BPMN task of each template: where processes wait (a list, not a diagram)."""
    table = Table(
        "nodes",
        _("Time per process step"),
        [
            _("Template"),
            _("Step"),
            _("Tasks done"),
            _("Avg duration (h)"),
            _("Tasks with an SLA"),
            _("SLA compliance (%)"),
            _("Warnings"),
            _("Breaches"),
        ],
    )
    by = report.by("node")
    templates = _labels("template", {key.split("/", 1)[0] for key in by})
    steps = _step_names(list(by))
    for key, c in sorted(
        by.items(), key=lambda item: (templates[item[0].split("/", 1)[0]], item[0])
    ):
        template_key = key.split("/", 1)[0]
        template = templates[template_key]
        values = derived(c)
        warnings = c["warnings_1"] + c["warnings_2"] + c["warnings_3"]
        table.rows.append(
            [
                Cell(template, template, href=f"/analytics/templates/{template_key}/"),
                Cell(steps[key], steps[key]),
                number(c["tasks_done"]),
                number(values["task_h"]),
                number(c["sla_tasks"]),
                number(values["sla_compliance"]),
                number(warnings),
                number(c["breaches"]),
            ]
        )
    return table


def _step_names(keys: list[str]) -> dict[str, str]:
    """The task name of a BPMN id in the reader's language (one indexed look-up per step)."""
    names = {}
    for key in keys:
        template, _slash, bpmn_id = key.partition("/")
        name = (
            HumanTask.objects.filter(bpmn_id=bpmn_id, ticket__process_version__key=template)
            .order_by()  # any row of the step: the first the index finds
            .values_list("name", flat=True)
            .first()
        )
        names[key] = local_name(name) or bpmn_id
    return names


def _low_ratings_table(first, last, reader) -> Table:
    table = Table(
        "low_ratings",
        _("Low ratings (1-2) and their follow-up"),
        [
            _("Ticket"),
            _("Template"),
            _("Score"),
            _("Comment"),
            _("Rated"),
            _("Open follow-up tasks"),
        ],
    )
    for event in queries.low_ratings(first, last):
        ticket = event.ticket
        view = reader.view(ticket)
        comment = view.text(str((event.detail or {}).get("comment") or ""))
        number_text = ticket.number or str(ticket.pk)
        template = local_name(ticket.process_version.name) or ticket.process_version.key
        follow = "; ".join(local_name(view.text(n)) for n in event.open_tasks) or str(_("None"))
        rated = event.at.astimezone(queries.timezone.get_default_timezone()).strftime(
            "%Y-%m-%d %H:%M"
        )
        table.rows.append(
            [
                Cell(number_text, number_text, href=f"/tickets/{number_text}/"),
                Cell(template),
                number(event.score),
                Cell(comment),
                Cell(rated),
                Cell(follow),
            ]
        )
    return table


def backlog_table() -> Table:
    counts = queries.backlog()
    table = Table("backlog", _("Open tickets by age"), [_("Age"), _("Open tickets")])
    labels = {
        "lt1d": _("Under 1 day"),
        "d1_3": _("1-3 days"),
        "d3_7": _("3-7 days"),
        "gt7d": _("Over 7 days"),
    }
    for name, *_bounds in queries.AGE_BUCKETS:
        table.rows.append([Cell(str(labels[name])), number(counts[name])])
    table.rows.append([Cell(str(_("All open"))), number(counts["total"])])
    return table


def chart_data(built: list[Table]) -> dict:
    """Series for the charts, taken from the tables (so they show the same numbers)."""
    by_name = {t.name: t for t in built}
    data = {}
    if "trend" in by_name:
        rows = by_name["trend"].rows
        data["trend"] = {
            "labels": [r[0].text for r in rows],
            "series": [
                {"label": str(_("Created")), "data": [r[1].value for r in rows]},
                {"label": str(_("Resolved")), "data": [r[2].value for r in rows]},
            ],
        }
    if "csat" in by_name:
        rows = by_name["csat"].rows
        data["csat"] = {
            "labels": [r[0].text for r in rows],
            "series": [{"label": str(_("Ratings")), "data": [r[1].value for r in rows]}],
        }
    if "agent" in by_name:
        rows = by_name["agent"].rows
        data["agent"] = {
            "labels": [r[0].text for r in rows],
            "series": [{"label": str(_("Resolved")), "data": [r[2].value for r in rows]}],
        }
    if "nodes" in by_name:
        rows = by_name["nodes"].rows
        data["nodes"] = {
            "labels": [f"{r[0].text} · {r[1].text}" for r in rows],
            "series": [{"label": str(_("Avg duration (h)")), "data": [r[3].value for r in rows]}],
        }
    return data
