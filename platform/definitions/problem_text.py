"""Problems and scenario results as the workbench shows them, in the reader's language.
The flow checks of the modeler are translated; the engine's own messages (which name
files, lines and elements) are shown as the engine wrote them."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from bpmn.scenarios import CaseResult
from definitions.element_names import local_name


def problem_text(problem: dict) -> str:
    ids = problem.get("element_ids") or []
    element = ids[0] if ids else ""
    if problem.get("code") == "no_outgoing":
        return _(
            "“%(element)s” has no outgoing flow: only an end event may end a path. Connect "
            "it to the next step or to an end event."
        ) % {"element": element}
    if problem.get("code") == "unreachable":
        return _("“%(element)s” is never reached: no flow leads to it.") % {"element": element}
    return problem.get("message", "")


def problem_texts(problems: list[dict]) -> list[str]:
    return [problem_text(p) for p in problems]


def with_texts(problems: list[dict]) -> list[dict]:
    """Problems as the modeler receives them: element ids, line and the text to show."""
    return [
        {"element_ids": p.get("element_ids") or [], "line": p.get("line"), "text": problem_text(p)}
        for p in problems
    ]


@dataclass
class ScenarioLine:
    case: str
    passed: bool
    text: str


def scenario_titles(cases: Mapping[str, Mapping]) -> dict[str, str]:
    """{case name: what people read}, in the order of the names: a case's `title`, which
    the shipped scenarios write in both languages ("Answered (已答复)"), else its name with
    spaces for underscores."""
    titles = {}
    for name, case in sorted(cases.items()):
        title = case.get("title") if isinstance(case, Mapping) else None
        has_title = isinstance(title, str) and title.strip()
        titles[name] = local_name(title) if has_title else name.replace("_", " ")
    return titles


def scenario_text(result: CaseResult, titles: Mapping[str, str]) -> ScenarioLine:
    case = titles.get(result.case, result.case)
    if result.passed:
        return ScenarioLine(case, True, _("Passed"))
    return ScenarioLine(case, False, _("Failed: %(reason)s") % {"reason": result.message})
