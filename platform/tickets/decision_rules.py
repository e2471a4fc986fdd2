"""The words a decision table gives itself and its rules (its DMN `name`, their
`description`), for saying on the timeline which rule decided: "by rule ‘VIP customers go
to the least-loaded senior agent’ (Assignment v3)". Read once per decision version through
the reference cache; names written in both languages show the reader's."""

import hashlib
from pathlib import Path

from defusedxml import ElementTree
from django.conf import settings
from django.utils.translation import gettext as _

from definitions import refdata
from definitions.element_names import local_name
from definitions.models import DecisionVersion


def version_label(version: str) -> str:
    if version.startswith("file:") or version == "bundle":
        return _("as shipped")
    return version


def decision_name(decision_id: str, version: str) -> str:
    """The decision table's name in the reader's language ("Triage" for `triage`); its id
    when the table has no name (or cannot be read)."""
    return local_name(_facts(decision_id, version)[0]) or decision_id


def rule_label(decision_id: str, version: str, rule) -> str:
    """The description the decision table gives its rule number `rule` ("" without one)."""
    try:
        index = int(rule) - 1
    except (TypeError, ValueError):
        return ""
    descriptions = _facts(decision_id, version)[1]
    return local_name(descriptions[index]) if 0 <= index < len(descriptions) else ""


def _facts(decision_id: str, version: str) -> tuple[str, tuple[str, ...]]:
    """The table's name and its rules' descriptions, read once per decision version."""
    return refdata.cached(
        ("decision facts", decision_id, version), lambda: _read_facts(decision_id, version)
    )


def _read_facts(decision_id: str, version: str) -> tuple[str, tuple[str, ...]]:
    xml = _decision_xml(decision_id, version)
    if not xml:
        return "", ()
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return "", ()
    for decision in root.iter():
        if decision.tag.endswith("decision") and decision.get("id") == decision_id:
            descriptions = tuple(
                (rule.findtext("{*}description") or "").strip()
                for rule in decision.iter()
                if rule.tag.endswith("}rule")
            )
            return (decision.get("name") or "").strip(), descriptions
    return "", ()


def _decision_xml(decision_id: str, version: str) -> str:
    if version.startswith("v") and version[1:].isdigit():
        row = (
            DecisionVersion.objects.filter(decision_id=decision_id, version=int(version[1:]))
            .values_list("dmn_xml", flat=True)
            .first()
        )
        return row or ""
    if version.startswith("file:"):
        for path in sorted(Path(settings.DMN_DIR).glob("*.dmn")):
            text = path.read_text(encoding="utf-8")
            if hashlib.sha256(text.encode()).hexdigest()[:12] == version[5:] and (
                f'id="{decision_id}"' in text
            ):
                return text
    return ""
