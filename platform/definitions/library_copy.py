"""A library template copied into a process of the analyst's own, as a draft.

The scheme: the copy gets the new key as its process id (`drafts.renamed`) and as the name
of its BPMN, field-rules and scenario files (scenario task keys such as `repair:accept`
follow). Its form files keep their names (every version
stores its own copy of them). Decisions are global by id and a business rule task uses the
latest published version of the id it names, so the copy's decisions are renamed: an id
that starts with the template's key gets the new key in its place
(`food_safety_triage` -> `my_complaints_triage`), any other id is prefixed with the new key
(`triage` -> `my_repair_triage`); the DMN files are renamed the same way. Once published, the
copy shares no process or decision id with the library, so a later library deploy (or an
edit of the copy) changes nothing on the other side.
"""

import json
import re
from pathlib import Path

from bpmn.specs import parse_bundle_decisions
from definitions import drafts
from definitions.deploy import read_bundle_folder
from definitions.library import Template


def renamed_id(name: str, old_key: str, new_key: str) -> str:
    if name == old_key or name.startswith(f"{old_key}_"):
        return new_key + name[len(old_key) :]
    return f"{new_key}_{name}"


def _in_dmn(text: str, renames: dict[str, str]) -> str:
    """A DMN file with its decisions' ids (and requirements naming them) renamed."""
    for old, new in renames.items():
        quoted = re.escape(old)
        text = re.sub(rf'(\bid="){quoted}(")', rf"\g<1>{new}\g<2>", text)
        text = re.sub(rf'(href="#){quoted}(")', rf"\g<1>{new}\g<2>", text)
    return text


def _in_bpmn(text: str, renames: dict[str, str]) -> str:
    """A BPMN file with the decisions its business rule tasks call renamed (a task whose id
    is also a decision's id keeps its id)."""
    for old, new in renames.items():
        quoted = re.escape(old)
        text = re.sub(rf'(\bdecisionRef="){quoted}(")', rf"\g<1>{new}\g<2>", text)
        text = re.sub(
            rf"(<(?:\w+:)?calledDecisionId>\s*){quoted}(\s*</)", rf"\g<1>{new}\g<2>", text
        )
    return text


def _in_scenarios(text: str, old_key: str, new_key: str) -> str:
    """Scenario cases whose task keys name the process (`repair:accept`) under the new key."""
    cases = json.loads(text)
    for case in cases.values():
        tasks = case.get("tasks", {})
        case["tasks"] = {
            f"{new_key}:{name.split(':', 1)[1]}" if name.startswith(f"{old_key}:") else name: data
            for name, data in tasks.items()
        }
    return json.dumps(cases, ensure_ascii=False, indent=2) + "\n"


def copied_bundle(template: Template, new_key: str) -> tuple[str, str, dict[str, str]]:
    """(bpmn filename, bpmn xml, files incl. scenarios) of the template under new_key."""
    _name, bpmn_xml, files = read_bundle_folder(template.bpmn_path)
    if template.scenario_path.is_file():
        text = template.scenario_path.read_text(encoding="utf-8")
        files[template.scenario_path.name] = _in_scenarios(text, template.key, new_key)
    dmn_files = {name: text for name, text in files.items() if name.endswith(".dmn")}
    renames = {d: renamed_id(d, template.key, new_key) for d in parse_bundle_decisions(dmn_files)}
    old_stem = Path(template.bpmn).stem
    copied: dict[str, str] = {}
    for name, text in files.items():
        if name.endswith(".dmn"):
            name, text = renamed_id(name, old_stem, new_key), _in_dmn(text, renames)
        elif name == f"{old_stem}.fields.json":
            name = f"{new_key}.fields.json"
        copied[drafts.renamed_scenario(name, old_stem, new_key)] = text
    bpmn_xml = _in_bpmn(drafts.renamed(bpmn_xml, template.key, new_key), renames)
    return f"{new_key}.bpmn", bpmn_xml, copied


def do_copy_template(user, template: Template, new_key: str):
    """A draft of a new process copied from the library template (refused: DraftRefused)."""
    key = drafts.clean_key(new_key)
    bpmn_filename, bpmn_xml, files = copied_bundle(template, key)
    return drafts.do_create_draft(user, bpmn_filename=bpmn_filename, bpmn_xml=bpmn_xml, files=files)
