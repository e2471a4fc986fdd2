"""Read paths of the decision pages: every decision (stored or shipped in dmn/), which processes
use it, and its version history. A fixed number of queries however many versions exist."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Max

from bpmn.dmn_xml import DmnError, read_definitions
from definitions import refdata
from definitions.models import DecisionEvent, DecisionVersion, ProcessVersion

# Decisions the platform evaluates itself (routing, service levels, settlements), registered
# by the apps that use them: decision id -> (what for, URL name of an impact page or "").
PLATFORM_USES: dict[str, tuple[str, str]] = {}

_REFERENCE = re.compile(r"calledDecisionId>\s*([^<\s]+)\s*<|decisionRef=\"([^\"]+)\"")


def register_platform_use(decision_id: str, purpose, impact_url_name: str = "") -> None:
    PLATFORM_USES[decision_id] = (purpose, impact_url_name)


@dataclass
class DecisionRow:
    decision_id: str
    name: str
    published: int | None = None
    draft: int | None = None
    versions: int = 0
    processes: list[str] = field(default_factory=list)
    platform_use: str = ""


def _shipped() -> dict[str, str]:
    def load():
        found = {}
        for path in sorted(Path(settings.DMN_DIR).glob("*.dmn")):
            try:
                spec = read_definitions(path.read_bytes(), path.name)
            except DmnError:
                continue
            found.update({d.id: d.name or d.id for d in spec.decisions})
        return found

    return refdata.cached(("shipped_decisions",), load)


def process_usage() -> dict[str, list[str]]:
    """decision id -> names of the processes whose newest version calls it."""

    def load():
        newest = ProcessVersion.objects.values("key").annotate(v=Max("version"))
        wanted = {(row["key"], row["v"]) for row in newest}
        used: dict[str, list[str]] = {}
        rows = ProcessVersion.objects.filter(version__in={v for _k, v in wanted})
        for pv in rows.select_related("bundle").order_by("name", "key"):
            if (pv.key, pv.version) not in wanted:
                continue
            for match in _REFERENCE.finditer(pv.bundle.bpmn_xml):
                names = used.setdefault(match.group(1) or match.group(2), [])
                if (pv.name or pv.key) not in names:
                    names.append(pv.name or pv.key)
        return used

    return refdata.cached(("decision_usage",), load)


def decision_rows() -> list[DecisionRow]:
    rows: dict[str, DecisionRow] = {
        decision_id: DecisionRow(decision_id, name) for decision_id, name in _shipped().items()
    }
    stored = DecisionVersion.objects.order_by("decision_id", "version").values_list(
        "decision_id", "version", "name", "status"
    )
    for decision_id, version, name, status in stored:
        row = rows.setdefault(decision_id, DecisionRow(decision_id, name))
        row.name, row.versions = name or row.name, row.versions + 1
        if status == DecisionVersion.Status.PUBLISHED:
            row.published = version
        elif status == DecisionVersion.Status.DRAFT:
            row.draft = version
    usage = process_usage()
    for row in rows.values():
        row.processes = usage.get(row.decision_id, [])
        row.platform_use = PLATFORM_USES.get(row.decision_id, ("", ""))[0]
    return sorted(rows.values(), key=lambda r: r.name.lower())


def is_known(decision_id: str) -> bool:
    return (
        decision_id in _shipped()
        or DecisionVersion.objects.filter(decision_id=decision_id).exists()
    )


def versions_of(decision_id: str) -> list[DecisionVersion]:
    """Newest first, with their author (one query)."""
    return list(
        DecisionVersion.objects.filter(decision_id=decision_id)
        .defer("dmn_xml", "test_cases")
        .select_related("author")
        .order_by("-version")
    )


def history(decision_id: str) -> list[DecisionEvent]:
    return list(
        DecisionEvent.objects.filter(version__decision_id=decision_id).select_related(
            "actor", "version"
        )
    )
