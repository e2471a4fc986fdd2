"""The words a decision table gives its rules (their DMN `description`), for saying on
the timeline which rule decided: "by rule ‘VIP customers go to the least-loaded senior
agent’ (assignment v3)". Read once per decision version through the reference cache."""

import hashlib
from pathlib import Path

from defusedxml import ElementTree
from django.conf import settings
from django.utils.translation import gettext as _

from definitions import refdata
from definitions.models import DecisionVersion


def version_label(version: str) -> str:
    if version.startswith("file:") or version == "bundle":
        return _("as shipped")
    return version


def rule_label(decision_id: str, version: str, rule) -> str:
    """The description the decision table gives its rule number `rule` ("" without one)."""
    try:
        index = int(rule) - 1
    except (TypeError, ValueError):
        return ""
    descriptions = refdata.cached(
        ("rule descriptions", decision_id, version), lambda: _descriptions(decision_id, version)
    )
    return descriptions[index] if 0 <= index < len(descriptions) else ""


def _descriptions(decision_id: str, version: str) -> tuple[str, ...]:
    xml = _decision_xml(decision_id, version)
    if not xml:
        return ()
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return ()
    for decision in root.iter():
        if decision.tag.endswith("decision") and decision.get("id") == decision_id:
            return tuple(
                (rule.findtext("{*}description") or "").strip()
                for rule in decision.iter()
                if rule.tag.endswith("}rule")
            )
    return ()


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
