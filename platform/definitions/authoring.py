"""Decision drafts edited in the browser: who may author them, starting a draft, saving it
(checked with the real DMN parser first, nothing stored when it fails), and publishing it only
when its test rows pass."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from bpmn.dmn import Decision, DmnError, parse_dmn
from bpmn.dmn_xml import DecisionSpec, read_definitions
from definitions import decisions, example_rows
from definitions.access import has_permission, roles_of
from definitions.models import DecisionVersion

PROCESS_OWNERS = "process_owners"


class DraftError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


class PublishRefused(ValueError):
    def __init__(self, results: list[example_rows.RowResult]):
        super().__init__(", ".join(r.label for r in results if not r.passed))
        self.results = results


def may_author_decisions(user) -> bool:
    """Process owners (the group, or the Django permission) and administrators."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return (
        user.is_superuser
        or PROCESS_OWNERS in roles_of(user)
        or has_permission(user, "definitions.change_decisionversion")
    )


@dataclass
class Compiled:
    decision: Decision
    spec: DecisionSpec


def compile_draft(decision_id: str, xml: str, filename: str) -> Compiled:
    """The decision `decision_id` of a DMN text, compiled by the engine; DraftError saying why
    not (unreadable XML, a cell that is not FEEL, the decision renamed or removed)."""
    try:
        definitions = parse_dmn(xml, filename)
        spec = next(
            (d for d in read_definitions(xml, filename).decisions if d.id == decision_id), None
        )
    except DmnError as exc:
        raise DraftError([_("The table cannot be used: %(detail)s") % {"detail": exc}]) from exc
    if spec is None or decision_id not in definitions.decisions:
        raise DraftError(
            [
                _("The file no longer holds the decision “%(id)s”; keep its id.")
                % {"id": decision_id}
            ]
        )
    return Compiled(definitions.decisions[decision_id], spec)


def spec_of(version: DecisionVersion) -> DecisionSpec | None:
    try:
        found = read_definitions(version.dmn_xml, version.dmn_filename or "decision.dmn")
    except DmnError:
        return None
    return next((d for d in found.decisions if d.id == version.decision_id), None)


def shipped_file(decision_id: str) -> tuple[str, str] | None:
    """(filename, text) of the dmn/ file that holds the decision as shipped."""
    for path in sorted(Path(settings.DMN_DIR).glob("*.dmn")):
        text = path.read_text(encoding="utf-8")
        try:
            ids = {d.id for d in read_definitions(text, path.name).decisions}
        except DmnError:
            continue
        if decision_id in ids:
            return path.name, text
    return None


def current_draft(decision_id: str) -> DecisionVersion | None:
    return DecisionVersion.objects.filter(
        decision_id=decision_id, status=DecisionVersion.Status.DRAFT
    ).first()


def do_start_draft(decision_id: str, user) -> DecisionVersion:
    """The decision's open draft, or a new one copied from the published version (else the
    newest version, else the file as shipped), with its test rows."""
    with transaction.atomic():
        versions = DecisionVersion.objects.select_for_update().filter(decision_id=decision_id)
        open_draft = versions.filter(status=DecisionVersion.Status.DRAFT).first()
        if open_draft is not None:
            return open_draft
        source = versions.filter(status=DecisionVersion.Status.PUBLISHED).first() or (
            versions.order_by("-version").first()
        )
        if source is not None:
            filename, xml, cases, name = (
                source.dmn_filename,
                source.dmn_xml,
                source.test_cases,
                source.name,
            )
        else:
            shipped = shipped_file(decision_id)
            if shipped is None:
                raise LookupError(decision_id)
            filename, xml = shipped
            cases, name = [], compile_draft(decision_id, xml, filename).spec.name
        number = (versions.aggregate(n=Max("version"))["n"] or 0) + 1
        return DecisionVersion.objects.create(
            decision_id=decision_id,
            version=number,
            name=name or decision_id,
            dmn_filename=filename,
            dmn_xml=xml,
            content_hash=decisions.content_hash(xml),
            test_cases=list(cases or []),
            author=user,
        )


def check_draft(draft: DecisionVersion, xml: str, raw_rows) -> tuple[Compiled, list[dict]]:
    compiled = compile_draft(draft.decision_id, xml, draft.dmn_filename or "decision.dmn")
    try:
        cases = example_rows.parse_rows(raw_rows, compiled.spec)
    except example_rows.RowsError as exc:
        raise DraftError(exc.messages) from exc
    return compiled, cases


def do_save_draft(draft: DecisionVersion, xml: str, raw_rows, user) -> DecisionVersion:
    """Store the edited table and its test rows, both checked first: DraftError leaves the
    draft as it was."""
    if draft.status != DecisionVersion.Status.DRAFT:
        raise DraftError([_("Only a draft can be changed; start a new draft.")])
    compiled, cases = check_draft(draft, xml, raw_rows)
    with transaction.atomic():
        draft = DecisionVersion.objects.select_for_update().get(id=draft.id)
        if draft.status != DecisionVersion.Status.DRAFT:
            raise DraftError([_("This draft was published meanwhile; start a new draft.")])
        draft.dmn_xml = xml
        draft.content_hash = decisions.content_hash(xml)
        draft.test_cases = cases
        draft.name = compiled.spec.name or draft.decision_id
        draft.author = user
        draft.save(update_fields=["dmn_xml", "content_hash", "test_cases", "name", "author"])
    return draft


def run_version(version: DecisionVersion) -> list[example_rows.RowResult]:
    compiled = compile_draft(version.decision_id, version.dmn_xml, version.dmn_filename or "d.dmn")
    return example_rows.run_rows(compiled.decision, version.test_cases or [], compiled.spec)


def do_publish_draft(draft: DecisionVersion, user) -> DecisionVersion:
    """Publish a draft whose test rows all pass; PublishRefused names the rows that fail."""
    results = run_version(draft)
    if not all(r.passed for r in results):
        raise PublishRefused(results)
    return decisions.do_publish_decision(draft, user)
