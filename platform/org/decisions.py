"""The routing and service-level decisions: the published version when a process owner has
published one (definitions.decisions), else the file in dmn/ as shipped. Either way the caller
learns which version decided, for the ticket's timeline."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from bpmn.dmn import Decision, parse_dmn
from definitions.decisions import published, resolve


@dataclass(frozen=True)
class Verdict:
    decision_id: str
    outputs: dict[str, Any]  # every output column by name; values None when no rule matched
    version: str  # "v3" (published) or "file:<sha256 prefix>" (dmn/ file as shipped)
    rule: int | None  # 1-based row that decided; None when no rule matched
    inputs: dict[str, Any]  # evaluated inputs by label, for the audit trail

    @property
    def matched(self) -> bool:
        return self.rule is not None

    def as_detail(self) -> dict:
        """JSON-ready record for a TicketEvent (kind "decision")."""
        return {
            "decision_id": self.decision_id,
            "version": self.version,
            "rule": self.rule,
            "inputs": self.inputs,
            "outputs": self.outputs,
        }


@lru_cache(maxsize=32)
def _parsed_file(path: str, mtime_ns: int, size: int) -> tuple[Any, str]:
    text = Path(path).read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return parse_dmn(text, Path(path).name), f"file:{digest}"


def file_decision(filename: str, decision_id: str) -> tuple[Decision, str]:
    """A decision from settings.DMN_DIR, parsed once per file content (mtime and size)."""
    path = Path(settings.DMN_DIR) / filename
    stat = path.stat()
    definitions, version = _parsed_file(str(path), stat.st_mtime_ns, stat.st_size)
    return definitions.get(decision_id), version


def current_decision(decision_id: str, filename: str) -> tuple[Decision, str]:
    # The usual case (nothing published) asks resolve() nothing: its refusal, an exception
    # built and caught, cost as much as evaluating the table on every routed task.
    if published(decision_id) is not None:
        try:
            return resolve({}, decision_id)
        except LookupError:
            pass
    return file_decision(filename, decision_id)


def evaluate(decision_id: str, filename: str, context: Mapping[str, Any]) -> Verdict:
    decision, version = current_decision(decision_id, filename)
    return evaluate_decision(decision_id, decision, version, context)


def evaluate_decision(
    decision_id: str, decision: Decision, version: str, context: Mapping[str, Any]
) -> Verdict:
    """`evaluate` with the decision already found (`current_decision`)."""
    result = decision.evaluate(context)
    outputs = dict(result.task_data) if isinstance(result.task_data, Mapping) else {}
    rule = result.matched_rules[0] if result.matched_rules else None
    return Verdict(decision_id, outputs, version, rule, dict(result.inputs))
