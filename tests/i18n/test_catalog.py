"""The zh-hans catalogue is complete: every string the workbench's templates and Python code
mark for translation has a Chinese translation in one of the catalogues Django merges
(every LOCALE_PATHS folder and each app's locale/), and the compiled .mo files say what
their .po files say. Templates checked by the lint show no English outside translation tags.
"""

import gettext
import shutil

import pytest
from django.conf import settings

from tests.i18n.catalog import (
    PLATFORM,
    TEMPLATES,
    Message,
    merged_catalog,
    python_messages,
    read_po,
    stray_english,
    template_messages,
    untranslated,
)

LANGUAGE = "zh_Hans"
# Templates (folders or files under web/templates) whose every visible word must go through
# a translation tag. Add a folder once its area is translated.
LINTED = [
    "base.html",
    "403.html",
    "404.html",
    "500.html",
    "registration",
    "notify",
    "forms",
    "tickets",
    "definitions",
    "pricing",
    "intake",
    "knowledge",
    "analytics",
]
# Words that are the same in every language: names of things, not English.
ALLOWED_WORDS = {
    "flowdesk",
    "API",
    "VIP",
    "SLA",
    "WeCom",
    "HTML",
    "JSON",
    "BPMN",
    "DMN",
    "SKU",
    "English",  # the language switcher names each language in itself
}
# Printed in both languages side by side on purpose (the customer's statement).
BILINGUAL = {"pricing/statement.html"}


def catalogue_files() -> list:
    folders = [*settings.LOCALE_PATHS, *sorted(PLATFORM.glob("*/locale"))]
    return [f / LANGUAGE / "LC_MESSAGES" / "django.po" for f in folders if (f / LANGUAGE).is_dir()]


def workbench_messages() -> list[Message]:
    templates = sorted(TEMPLATES.rglob("*.html"))
    modules = sorted(
        p
        for p in PLATFORM.rglob("*.py")
        if "migrations" not in p.parts and p.relative_to(PLATFORM).parts[0] != "bpmn"
    )
    return [*template_messages(templates), *python_messages(modules)]


def _report(missing: list[Message]) -> str:
    return "no zh-hans translation for:\n" + "\n".join(
        f"  {m.msgid!r} ({m.where})" for m in missing
    )


def test_every_workbench_string_has_a_chinese_translation():
    messages = workbench_messages()
    assert len(messages) > 100  # the extraction found the strings at all
    missing = untranslated(messages, merged_catalog(catalogue_files()))
    assert not missing, _report(missing)


def test_a_string_whose_translation_is_removed_is_named(tmp_path):
    po = next(p for p in catalogue_files() if p.parts[-5:-3] == ("locale", "base"))
    copy = tmp_path / "django.po"
    shutil.copy(po, copy)
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace('msgstr "退出登录"', 'msgstr ""'), encoding="utf-8")
    others = [p for p in catalogue_files() if p != po]
    missing = untranslated(workbench_messages(), merged_catalog([copy, *others]))
    assert [m.msgid for m in missing] == ["Log out"]
    assert "base.html" in _report(missing)


@pytest.mark.parametrize("po", catalogue_files(), ids=lambda p: str(p.parents[3].name))
def test_compiled_catalogues_say_what_their_sources_say(po):
    with (po.parent / "django.mo").open("rb") as compiled:
        mo = gettext.GNUTranslations(compiled)
    for (context, msgid), strings in read_po(po).items():
        key = f"{context}\x04{msgid}" if context else msgid
        assert mo._catalog.get(key, mo._catalog.get((key, 0))) == strings[0], (
            f"{po}: {msgid!r} differs from the .mo: run msgfmt (make messages)"
        )


def test_the_lint_finds_english_outside_tags_and_only_there(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}<h1>{% translate "Tickets" %}</h1><p title="Due soon">{{ n }} late</p>'
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}<script>let a = 1;</script>"
        "<span>flowdesk API · 工单</span>"
    )
    assert stray_english(page, ALLOWED_WORDS) == ["Due soon", "0 late"]


def _linted_templates():
    for entry in LINTED:
        path = TEMPLATES / entry
        found = sorted(path.rglob("*.html")) if path.is_dir() else [path]
        yield from (p for p in found if str(p.relative_to(TEMPLATES)) not in BILINGUAL)


@pytest.mark.parametrize("template", list(_linted_templates()), ids=lambda p: p.name)
def test_templates_show_no_english_outside_translation_tags(template):
    assert stray_english(template, ALLOWED_WORDS) == []
