"""Process drafts edited in the browser: saved and checked, their scenarios run, published.

A draft is checked on every save by the deploy's own compile (parser, references,
decisions, forms, operators, loops) plus the modeler's flow checks
(bpmn.authoring_checks); each problem carries the ids of the elements it names, so the
modeler pins it on the diagram. Publishing deploys the draft's bundle as the next
ProcessVersion, through the same path as the API's deploy.
"""

import json
import re
from functools import partial
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from bpmn import authoring_checks
from bpmn.parser import BundleError
from bpmn.scenarios import CaseResult, run_cases
from bpmn.specs import compile_bundle, parse_bundle_decisions
from bpmn.xmlsafe import UnsafeXmlError, parse_xml
from definitions import decisions
from definitions.deploy import _called_processes, deploy_bundle_report
from definitions.models import ProcessDraft, ProcessVersion

BLANK_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_{key}" targetNamespace="http://flowdesk.example/processes">
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:startEvent id="start" name="Ticket raised" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{key}">
    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="{key}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


class DraftRefused(ValueError):
    """A new draft cannot be made from what was given; nothing was stored."""

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.problems = problems or [{"message": message}]


_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")


def clean_key(key: str) -> str:
    """The id of a new process: a valid XML id not used by a deployed process."""
    key = key.strip()
    if not _KEY.match(key):
        raise DraftRefused(
            _("A process key starts with a letter and holds letters, digits, _ . or -.")
        )
    if ProcessVersion.objects.filter(key=key).exists():
        raise DraftRefused(
            _("A process with the key %(key)s exists; edit it from its page.") % {"key": key}
        )
    return key


def blank(key: str) -> str:
    return BLANK_BPMN.format(key=key)


def renamed(bpmn_xml: str, old_key: str, new_key: str) -> str:
    """A template's BPMN with its process id (and what refers to it) changed to new_key."""
    for attribute in ("id", "processRef", "bpmnElement"):
        bpmn_xml = bpmn_xml.replace(f'{attribute}="{old_key}"', f'{attribute}="{new_key}"')
    return bpmn_xml


def renamed_scenario(name: str, old_key: str, new_key: str) -> str:
    return f"test_{new_key}.json" if name == f"test_{old_key}.json" else name


class DraftNotPublishable(ValueError):
    """The draft still has problems, or was published already."""

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.problems = problems or []


def _draft_resolver(bundle_decisions: dict, decision_id: str):
    """A draft runs its own DMN files first (that is what is being edited), then the
    published tables."""
    if decision_id in bundle_decisions:
        return bundle_decisions[decision_id], "draft"
    return decisions.resolve({}, decision_id)


def compile_draft(bpmn_filename: str, bpmn_xml: str, files: dict):
    files = bundle_files(files)
    called = _called_processes(exclude="")
    return compile_bundle(
        bpmn_filename,
        bpmn_xml,
        files,
        called={k: (f, x) for k, (f, x, _id) in called.items()},
        resolve_decision=_draft_resolver,
        decision_exists=partial(decisions.exists, parse_bundle_decisions(files)),
    )


def bundle_files(files: dict) -> dict:
    """The files a deploy receives: scenario files stay with the draft and the version
    but are not part of what the engine compiles."""
    return {name: text for name, text in files.items() if not is_scenario_file(name)}


def is_scenario_file(name: str) -> bool:
    return name.rsplit("/", 1)[-1].startswith("test_") and name.endswith(".json")


def check(bpmn_filename: str, bpmn_xml: str, files: dict) -> tuple[str, list[dict]]:
    """(process key or "", problems) of a bundle; no problems means it can be published."""
    try:
        root = parse_xml(bpmn_xml, bpmn_filename)
    except UnsafeXmlError as exc:
        return "", [authoring_checks.malformed(str(exc)).as_dict()]
    key = _executable_key(root)
    problems = authoring_checks.check_flows(root)
    try:
        compiled = compile_draft(bpmn_filename, bpmn_xml, files)
        key = compiled.key
    except BundleError as exc:
        problems += [authoring_checks.locate(root, part) for part in _parts(str(exc))]
    problems += _scenario_file_problems(files)
    return key, [problem.as_dict() for problem in problems]


def _executable_key(root) -> str:
    found = root.xpath("//*[local-name()='process'][@isExecutable='true']/@id")
    return found[0] if found else ""


def _parts(message: str) -> list[str]:
    """The single problems of a BundleError ("; "-joined); a part that names nothing
    quoted continues the one before it."""
    parts: list[str] = []
    for piece in message.split("; "):
        if parts and "'" not in piece:
            parts[-1] = f"{parts[-1]}; {piece}"
        else:
            parts.append(piece)
    return parts


def _scenario_file_problems(files: dict) -> list:
    problems = []
    for name, text in files.items():
        if is_scenario_file(name):
            try:
                cases = json.loads(text)
            except ValueError as exc:
                problems.append(authoring_checks.Problem(f"{name}: invalid JSON: {exc}"))
                continue
            if not isinstance(cases, dict):
                problems.append(
                    authoring_checks.Problem(f"{name}: expected an object of named cases")
                )
    return problems


def scenarios_of(files: dict) -> dict[str, dict]:
    """Every scenario case of a bundle, by case name."""
    cases: dict[str, dict] = {}
    for name, text in sorted(files.items()):
        if is_scenario_file(name):
            try:
                found = json.loads(text)
            except ValueError:
                continue
            if isinstance(found, dict):
                cases.update(found)
    return cases


def run_scenarios(bpmn_filename: str, bpmn_xml: str, files: dict) -> list[CaseResult]:
    cases = scenarios_of(files)
    try:
        compiled = compile_draft(bpmn_filename, bpmn_xml, files)
    except BundleError as exc:
        return [CaseResult(Path(bpmn_filename), name, False, str(exc)) for name in cases]
    return run_cases(bpmn_filename, cases, compiled)


def starting_files(version: ProcessVersion | None, shipped_scenarios: dict) -> dict:
    """The files a new draft starts from: a version's bundle and its scenarios."""
    files = dict(version.files) if version is not None else {}
    for name, text in shipped_scenarios.items():
        files.setdefault(name, text)
    return files


def do_create_draft(
    user, *, bpmn_filename: str, bpmn_xml: str, files: dict, base_version=None, checked=None
) -> ProcessDraft:
    """A new draft, checked now unless `checked` gives (key, problems) already found."""
    key, problems = checked or check(bpmn_filename, bpmn_xml, files)
    with transaction.atomic():
        return ProcessDraft.objects.create(
            key=key,
            bpmn_filename=bpmn_filename,
            bpmn_xml=bpmn_xml,
            files=files,
            base_version=base_version,
            problems=problems,
            author=user,
        )


def do_create_checked_draft(user, *, bpmn_filename: str, bpmn_xml: str, files: dict):
    """A draft from uploaded files, stored only when they check clean."""
    key, problems = check(bpmn_filename, bpmn_xml, files)
    if problems:
        raise DraftRefused(_("The uploaded bundle has problems."), problems)
    return do_create_draft(
        user, bpmn_filename=bpmn_filename, bpmn_xml=bpmn_xml, files=files, checked=(key, [])
    )


def open_draft_of(user, version: ProcessVersion) -> ProcessDraft | None:
    """The author's unpublished draft of this version, to continue instead of a new one."""
    return (
        ProcessDraft.objects.filter(
            base_version=version, author=user, published_version__isnull=True
        )
        .order_by("-updated_at")
        .first()
    )


def do_save_draft(user, draft_id: int, *, bpmn_xml: str, files: dict | None = None) -> ProcessDraft:
    with transaction.atomic():
        draft = ProcessDraft.objects.select_for_update().get(id=draft_id)
        if draft.published_version_id is not None:
            raise DraftNotPublishable(_("This draft was published; start a new draft."))
        new_files = draft.files if files is None else files
        draft.key, draft.problems = check(draft.bpmn_filename, bpmn_xml, new_files)
        draft.bpmn_xml, draft.files, draft.author = bpmn_xml, new_files, user
        draft.save(update_fields=["key", "problems", "bpmn_xml", "files", "author", "updated_at"])
        return draft


def do_publish_draft(user, draft_id: int) -> ProcessVersion:
    """The draft becomes the process's next version (the deploy path of the API)."""
    with transaction.atomic():
        draft = ProcessDraft.objects.select_for_update().get(id=draft_id)
        if draft.published_version_id is not None:
            raise DraftNotPublishable(_("This draft was published already."))
        _key, problems = check(draft.bpmn_filename, draft.bpmn_xml, draft.files)
        if problems:
            raise DraftNotPublishable(_("The draft has problems; fix them first."), problems)
        try:
            result = deploy_bundle_report(draft.bpmn_filename, draft.bpmn_xml, draft.files, user)
        except BundleError as exc:
            raise DraftNotPublishable(str(exc)) from exc
        if not result.created:
            raise DraftNotPublishable(
                _("The draft is identical to version %(n)s; nothing to publish.")
                % {"n": result.version.version}
            )
        draft.published_version = result.version
        draft.save(update_fields=["published_version", "updated_at"])
        return result.version


def bundle_decision_ids(files: dict) -> list[str]:
    """The decisions the draft's own DMN files define (none when one does not parse)."""
    try:
        return sorted(parse_bundle_decisions(bundle_files(files)))
    except BundleError:
        return []
