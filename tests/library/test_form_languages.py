"""Every shipped form speaks one language at a time: its texts are written in English and
carry their Chinese in ``x-i18n`` (the convention forms/i18n.py reads), so a Chinese reader
sees only Chinese and an English reader only English. A text like "Treatment (服务项目)"
or "维修项目 Services" shows both languages to everyone and fails here."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from forms.schema import load_form

CJK = re.compile(r"[\u3400-\u9fff\uff08\uff09]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
ACRONYM = re.compile(r"^[A-Z0-9 .+/-]+$")  # "VIP", "4S": the same in both languages
TEXT_KEYS = ("title", "description", "help", "placeholder", "submitText", "label")
LIST_KEYS = ("enumNames", "levelLabels")


def _forms() -> list[Path]:
    return sorted((Path(settings.BASE_DIR) / "processes" / "forms").glob("*.json"))


def _texts(node, where=""):
    """(where, object, key, text) for every text an object in a form carries."""
    if isinstance(node, dict):
        for key in TEXT_KEYS:
            if isinstance(node.get(key), str) and node[key].strip():
                yield where, node, key, node[key]
        for key in LIST_KEYS:
            if isinstance(node.get(key), list):
                yield where, node, key, node[key]
        for key, value in node.items():
            if key != "x-i18n":
                yield from _texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _texts(value, f"{where}/{i}")


def _problems(path: Path) -> list[str]:
    found = []
    for where, obj, key, text in _texts(json.loads(path.read_text())):
        chinese = ((obj.get("x-i18n") or {}).get("zh-hans") or {}).get(key)
        written = text if isinstance(text, list) else [text]
        translated = chinese if isinstance(chinese, list) else [chinese]
        if isinstance(text, list) and len(translated) != len(written):
            found.append(f"{where} {key}: {len(translated)} Chinese for {len(written)} texts")
            continue
        for english, zh in zip(written, translated, strict=False):
            if CJK.search(str(english)):
                found.append(f"{where} {key} {english!r}: Chinese in the English text")
            if not isinstance(zh, str) or not zh.strip():
                found.append(f"{where} {key} {english!r}: no zh-hans text")
            elif not CJK.search(zh) and not ACRONYM.match(zh):
                found.append(f"{where} {key} {zh!r}: the zh-hans text is not Chinese")
            elif (
                CJK.search(zh)
                and LATIN_WORD.search(zh)
                and not ACRONYM.match(LATIN_WORD.search(zh).group())
            ):
                found.append(f"{where} {key} {zh!r}: English in the zh-hans text")
    return found


@pytest.mark.parametrize("path", _forms(), ids=lambda p: p.name)
def test_every_form_text_is_in_one_language_with_its_chinese_in_x_i18n(path):
    assert _problems(path) == []


def test_the_rule_catches_a_text_in_both_languages(tmp_path):
    bad = tmp_path / "bad.schema.json"
    bad.write_text(
        json.dumps(
            {
                "title": "Book (预约)",
                "type": "object",
                "properties": {
                    "a": {"type": "string", "title": "项目 Service"},
                    "b": {"type": "string", "title": "Plain", "x-i18n": {"zh-hans": {}}},
                    "c": {"type": "string", "enum": ["x"], "enumNames": ["X"]},
                },
            }
        )
    )
    problems = _problems(bad)
    flagged = {problem.split(" ")[0] for problem in problems}
    assert flagged == {"", "/properties/a", "/properties/b", "/properties/c"}, problems
    assert sum("Chinese in the English text" in problem for problem in problems) == 2


def test_a_converted_form_reads_in_the_language_of_the_reader():
    path = Path(settings.BASE_DIR) / "processes" / "forms" / "beauty-start.schema.json"
    form = load_form({path.name: path.read_text()}, path.name)
    field = form.get("appointment_service")
    with translation.override("zh-hans"):
        assert (str(form.title), str(field.title)) == ("美容预约", "服务项目")
        assert [str(o.label) for o in field.options][:2] == ["面部护理", "按摩"]
    with translation.override("en"):
        assert (str(form.title), str(field.title)) == ("Book a beauty treatment", "Treatment")
        assert [str(o.label) for o in field.options][:2] == ["Facial", "Massage"]
