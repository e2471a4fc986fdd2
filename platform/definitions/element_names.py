"""A process's element names (steps, events, gateways, lanes) in the reader's language.

The stored BPMN is never changed; its names are read three ways, first match wins:
- a name written in both languages, the shipped templates' conventions ("Answer the
  customer (答复)", "故障诊断 Diagnose"), is the Chinese to a Chinese reader and the
  English to anyone else;
- a user task whose form has a translated title (the form's `x-i18n`, see forms.i18n) is
  called by that title in that language;
- a lane named after one of the usual staff groups ("agents") reads as that group's name.
Any other name is shown as written. `element_labels` gives the whole map a diagram viewer
needs ({element id: name}); `local_name` reads one stored name (a task row's, a version's);
`output_titles` names the data a version's decision tables write (their outputs' labels),
`output_options` the values they write where an output lists them with labels.
`local_instructions` gives a step's instructions (instructionsForEndUser) in the reader's
language, from the step's `instructions.<language>` extension properties.
"""

import json
import re
from collections.abc import Mapping

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from bpmn.specs import SpecCache
from bpmn.xmlsafe import UnsafeXmlError, parse_xml

# "English (中文)" or "English（中文）", maybe with more English after it ("Auto repair
# (汽车维修): diagnose, quote, ..."): the bracketed part holds Chinese characters.
_BILINGUAL = re.compile(
    r"^(?P<base>.*?\S)\s*[(（](?P<zh>[^()（）]*[\u3400-\u9fff][^()（）]*)[)）](?P<rest>.*)$"
)
# "故障诊断 Diagnose": the Chinese first, then the English (the auto-repair template's way).
# The Chinese holds no Latin letters or digits outside brackets and the English starts with a
# word, so that a name with a model number ("压缩机 5 HP", "蓄电池 60 Ah") is no pair: it
# reads as written ("制冷剂（R410A） Refrigerant R410A" is one).
_CHINESE_FIRST = re.compile(
    r"^(?P<zh>[\u3400-\u9fff](?:[^A-Za-z0-9(（]|[(（][^)）]*[)）])*?)\s+"
    r"(?P<base>(?:[A-Za-z]{2,}|[AI](?=\s))(?![0-9]).*)$"
)
_FORM_PROPERTIES = ("formJsonSchemaFilename", "formKey")
_INSTRUCTIONS = "instructions."
GROUP_NAMES = {
    "agents": _("Agents"),
    "supervisors": _("Supervisors"),
    "dispatchers": _("Dispatchers"),
    "key_account_dispatchers": _("Key account dispatchers"),
    "technicians": _("Technicians"),
    "finance": _("Finance"),
    "warehouse": _("Warehouse"),
    "warehouse_east": _("East warehouse"),
    "store_managers": _("Store managers"),
    "teachers": _("Teachers"),
    "reception": _("Reception"),
    "front_desk": _("Front desk"),
    "nurses": _("Nurses"),
    "doctors": _("Doctors"),
    "beauticians": _("Beauticians"),
    "process_owners": _("Process owners"),
    "directors": _("Directors"),
}
_CACHE = SpecCache(size=128)


def _pick(base: str, texts: Mapping[str, str]) -> str:
    language = (get_language() or "").lower()
    for code in (language, language.split("-")[0]):
        if code in texts:
            return texts[code]
    return base


def local_name(name) -> str:
    """One stored name in the active language ("Accept ticket (受理)" → "受理" in Chinese)."""
    name = str(name or "")
    halves = _bilingual(name)
    return _pick(halves[0], {"zh": halves[1]}) if halves else name


def _bilingual(name: str) -> tuple[str, str] | None:
    """(the English, the Chinese) of a name written in both, else None. A name that starts
    in Chinese is read Chinese-first, brackets and all ("上门费（市区） Call-out (city)")."""
    found = _CHINESE_FIRST.match(name)
    if found is not None:
        return found["base"].strip(), found["zh"].strip()
    found = _BILINGUAL.match(name)
    if found is not None:
        return f"{found['base']}{found['rest'].rstrip()}", found["zh"].strip()
    return None


def local_instructions(text, properties: Mapping) -> str:
    """A step's instructions in the active language: its `instructions.<language>` extension
    property (`<spiffworkflow:property name="instructions.zh-hans" value="…"/>`, or a
    `camunda:property`; "instructions.zh" serves a reader of "zh-hans" too), else `text`,
    the instructionsForEndUser the modelers show."""
    found = {
        str(name)[len(_INSTRUCTIONS) :].lower().replace("_", "-"): value
        for name, value in properties.items()
        if str(name).startswith(_INSTRUCTIONS) and isinstance(value, str) and value.strip()
    }
    return _pick(str(text or ""), found)


def group_name(name) -> str:
    """A staff group's name as people read it ("agents" → "Agents" / "客服")."""
    name = str(name or "")
    return str(GROUP_NAMES[name]) if name in GROUP_NAMES else local_name(name)


def local_title(spec: Mapping) -> str:
    """A form's or a field's `title` in the active language (its `x-i18n`)."""
    return _pick(str(spec.get("title") or ""), _titles(spec))


def _form_titles(schema_text: str) -> dict[str, str]:
    """The form's title by language code, from its `x-i18n` (codes as forms.i18n reads them)."""
    try:
        schema = json.loads(schema_text)
    except ValueError:
        return {}
    return _titles(schema) if isinstance(schema, dict) else {}


def _titles(schema: Mapping) -> dict[str, str]:
    table = schema.get("x-i18n")
    found: dict[str, str] = {}
    for code, texts in (table or {}).items() if isinstance(table, Mapping) else ():
        if isinstance(texts, Mapping) and isinstance(texts.get("title"), str):
            code = str(code).lower().replace("_", "-")
            found[code] = texts["title"]
            found.setdefault(code.split("-")[0], texts["title"])
    return found


def _form_of(element) -> str:
    for node in element.iter():
        if node.get("name") in _FORM_PROPERTIES and node.get("value"):
            return node.get("value")
    for attribute, value in element.attrib.items():
        if attribute.endswith("}formKey") and value:
            return value
    return ""


def _names(bpmn_filename: str, bpmn_xml: str, files: Mapping[str, str]) -> dict:
    """{element id: (name as written, {language: name})} for the elements worth translating."""
    try:
        root = parse_xml(bpmn_xml, bpmn_filename)
    except UnsafeXmlError:
        return {}
    names = {}
    for element in root.iter():
        element_id, name = element.get("id"), element.get("name")
        if not element_id or not name or not isinstance(element.tag, str):
            continue
        kind = element.tag.rsplit("}", 1)[-1]
        if kind in ("lane", "participant") and name in GROUP_NAMES:
            names[element_id] = (name, None)  # the group's gettext name, read when shown
        elif halves := _bilingual(name):
            names[element_id] = (halves[0], {"zh": halves[1]})
        elif kind in ("userTask", "manualTask") and files.get(_form_of(element)):
            titles = _form_titles(files[_form_of(element)])
            if titles:
                names[element_id] = (name, titles)
    return names


def file_labels(bpmn_path) -> dict[str, str]:
    """The same map for a BPMN file of the template library (its names and lanes)."""
    stamp = bpmn_path.stat().st_mtime_ns
    table = _CACHE.get(
        ("file", str(bpmn_path), stamp),
        lambda: _names(bpmn_path.name, bpmn_path.read_text(encoding="utf-8"), {}),
    )
    return _in_language(table)


def element_labels(version) -> dict[str, str]:
    """{element id: name in the active language} of a process version's diagram (the
    elements with a translation or a bilingual name; the others read as written)."""
    table = _CACHE.get(
        ("labels", version.content_hash),
        lambda: _names(version.bpmn_filename, version.bpmn_xml, version.files),
    )
    return _in_language(table)


def _in_language(table: dict) -> dict[str, str]:
    return {
        element_id: group_name(base) if texts is None else _pick(base, texts)
        for element_id, (base, texts) in table.items()
    }


def output_titles(version) -> dict[str, str]:
    """{data key: title in the active language} of what the version's decision tables and
    scripts write into the ticket's data: each decision output's `label` ("Outcome
    (处理结果)" for `outcome`), and what a script task says it writes, in its extension
    elements (`<flowdesk:writes name="billed_hours" label="Billed hours (计费工时)" />`)."""
    table = _CACHE.get(("outputs", version.content_hash), lambda: _written(version))
    return {key: local_name(label) for key, (label, _options) in table.items() if label}


def output_options(version) -> dict[str, dict[str, str]]:
    """{data key: {value: label in the active language}} of the values those outputs and
    scripts write where they list them, each with a label (`<flowdesk:option
    value="refund" label="Refund (退款)" />` inside the output or the `writes`): a code
    people would otherwise read raw ("key_account_dispatchers", "routine")."""
    table = _CACHE.get(("outputs", version.content_hash), lambda: _written(version))
    return {
        key: {value: local_name(label) for value, label in options.items()}
        for key, (_label, options) in table.items()
        if options
    }


def _written(version) -> dict[str, tuple[str, dict[str, str]]]:
    """{data key: (label as written, {value: label as written})} from the version's DMN
    outputs and its BPMN files' `writes`; the first to name a key wins."""
    files = {version.bpmn_filename: version.bpmn_xml, **version.files}
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for filename, text in sorted(files.items()):
        kind = {"dmn": "output", "bpmn": "writes"}.get(filename.rsplit(".", 1)[-1].lower())
        if kind is None:
            continue
        try:
            root = parse_xml(text, filename)
        except UnsafeXmlError:
            continue
        for element in root.iter():
            if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] == kind:
                name = element.get("name")
                if name and (element.get("label") or _options(element)):
                    found.setdefault(name, (element.get("label") or "", _options(element)))
    return found


def _options(element) -> dict[str, str]:
    return {
        option.get("value"): option.get("label")
        for option in element.iter()
        if isinstance(option.tag, str)
        and option.tag.rsplit("}", 1)[-1] == "option"
        and option.get("value") is not None
        and option.get("label")
    }
