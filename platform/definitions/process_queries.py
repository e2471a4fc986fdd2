"""Read paths of the process pages: versions with their running tickets, a version's
forms, decisions and scenario tests."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q

from bpmn.xmlsafe import UnsafeXmlError, parse_xml
from definitions.drafts import is_scenario_file
from definitions.element_names import local_title
from definitions.models import DecisionVersion, ProcessDraft, ProcessVersion

RUNNING = Q(tickets__status="active")  # Ticket.Status.ACTIVE, read through the relation


@dataclass
class ProcessRow:
    key: str
    name: str
    versions: list = field(default_factory=list)  # newest first, each with .running
    drafts: int = 0

    @property
    def published(self):
        return self.versions[0]

    @property
    def running(self) -> int:
        return sum(v.running for v in self.versions)


def versions_with_running(key: str | None = None):
    """Versions (newest first per key) annotated with their active tickets: one query."""
    versions = (
        ProcessVersion.objects.all() if key is None else ProcessVersion.objects.filter(key=key)
    )
    return (
        versions.select_related("published_by")
        .annotate(running=Count("tickets", filter=RUNNING))
        .order_by("key", "-version")
    )


def process_rows() -> list[ProcessRow]:
    rows: dict[str, ProcessRow] = {}
    for version in versions_with_running():
        row = rows.setdefault(version.key, ProcessRow(version.key, version.name))
        row.versions.append(version)
    open_drafts = (
        ProcessDraft.objects.filter(published_version__isnull=True)
        .values("key")
        .annotate(n=Count("id"))
    )
    for item in open_drafts:
        if item["key"] in rows:
            rows[item["key"]].drafts = item["n"]
    return list(rows.values())


def open_drafts(key: str):
    return ProcessDraft.objects.filter(key=key, published_version__isnull=True).select_related(
        "author"
    )


@dataclass
class FormField:
    name: str
    title: str
    kind: str
    required: bool


@dataclass
class FormSummary:
    filename: str
    title: str
    fields: list[FormField]
    used_by: list[str]  # names of the steps that show it


def _steps_using(root, filename: str) -> list[str]:
    steps = []
    for node in root.xpath("//*[@value=$f] | //*[@*[local-name()='formKey']=$f]", f=filename):
        while node is not None and not node.get("id"):
            node = node.getparent()
        if node is not None:
            steps.append(node.get("name") or node.get("id"))
    return list(dict.fromkeys(steps))


def forms_of(bpmn_filename: str, bpmn_xml: str, files: dict) -> list[FormSummary]:
    """The JSON Schema forms of a bundle as titled field lists."""
    try:
        root = parse_xml(bpmn_xml, bpmn_filename)
    except UnsafeXmlError:
        return []
    forms = []
    for name, text in sorted(files.items()):
        if not name.endswith("schema.json") or "uischema" in name:
            continue
        try:
            schema = json.loads(text)
        except ValueError:
            continue
        if not isinstance(schema, dict):
            continue
        required = set(schema.get("required") or ())
        fields = [
            FormField(prop, local_title(spec) or prop, spec.get("type") or "", prop in required)
            for prop, spec in (schema.get("properties") or {}).items()
            if isinstance(spec, dict)
        ]
        forms.append(
            FormSummary(name, local_title(schema) or name, fields, _steps_using(root, name))
        )
    return forms


def decisions_of(bpmn_filename: str, bpmn_xml: str) -> list[tuple[str, str]]:
    """(decision id, step name) of the business rule tasks."""
    try:
        root = parse_xml(bpmn_xml, bpmn_filename)
    except UnsafeXmlError:
        return []
    found = []
    for task in root.xpath("//*[local-name()='businessRuleTask']"):
        refs = task.xpath(".//*[local-name()='calledDecisionId']/text()")
        ref = (refs[0].strip() if refs else "") or task.get(
            "{http://camunda.org/schema/1.0/bpmn}decisionRef", ""
        )
        if ref:
            found.append((ref, task.get("name") or task.get("id")))
    return found


def decisions_named(bpmn_filename: str, bpmn_xml: str) -> list[tuple[str, str, str]]:
    """(decision id, its name, step name) of the business rule tasks: the name of the
    decision's latest version ("Triage (分诊)"), else its id."""
    used = decisions_of(bpmn_filename, bpmn_xml)
    names = dict(
        DecisionVersion.objects.filter(decision_id__in={d for d, _ in used})
        .order_by("version")
        .values_list("decision_id", "name")
    )
    return [(decision, names.get(decision) or decision, step) for decision, step in used]


def scenario_files(version: ProcessVersion) -> dict[str, str]:
    """The version's own scenario files, else the shipped ones of its BPMN file
    (processes/tests/test_<name>.json), which a deploy from the folder leaves out."""
    own = {name: text for name, text in version.files.items() if is_scenario_file(name)}
    if own:
        return own
    shipped = (
        Path(settings.PROCESSES_DIR) / "tests" / f"test_{Path(version.bpmn_filename).stem}.json"
    )
    if shipped.is_file():
        return {shipped.name: shipped.read_text(encoding="utf-8")}
    return {}
