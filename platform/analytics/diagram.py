"""The diagram overlay of a template: per BPMN step the average time a task spent there
and the SLA breaches, over a period (the numbers of the dashboard's "time per step"
table, keyed by element id for the viewer)."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.queries import Report, derived


@dataclass
class StepFigures:
    bpmn_id: str
    tasks_done: int
    avg_hours: float | None
    breaches: int


def step_figures(key: str, first: dt.date, last: dt.date) -> list[StepFigures]:
    prefix = f"{key}/"
    figures = []
    for node, counters in Report(first, last).by("node").items():
        if node.startswith(prefix):
            figures.append(
                StepFigures(
                    node[len(prefix) :],
                    counters["tasks_done"],
                    derived(counters)["task_h"],
                    counters["breaches"],
                )
            )
    return figures


def badge_text(step: StepFigures) -> str:
    parts = []
    if step.avg_hours is not None:
        parts.append(_("avg %(hours).1f h") % {"hours": step.avg_hours})
    if step.breaches:
        parts.append(
            ngettext("%(n)d breach", "%(n)d breaches", step.breaches) % {"n": step.breaches}
        )
    return " · ".join(parts)


def marks(figures: list[StepFigures]) -> dict:
    """What the diagram viewer reads: breached steps marked overdue, every step with
    figures badged."""
    return {
        "marks": {f.bpmn_id: "overdue" for f in figures if f.breaches},
        "badges": {f.bpmn_id: badge_text(f) for f in figures if badge_text(f)},
    }


def step_names(bpmn_filename: str, bpmn_xml: str) -> dict[str, str]:
    """BPMN id -> the step's name as drawn (flow nodes only, not the process or lanes)."""
    from bpmn.xmlsafe import parse_xml

    root = parse_xml(bpmn_xml, bpmn_filename)
    containers = {"definitions", "process", "collaboration", "participant", "laneSet", "lane"}
    return {
        node.get("id"): node.get("name")
        for node in root.xpath("//*[@id][@name]")
        if node.xpath("local-name()") not in containers
    }
