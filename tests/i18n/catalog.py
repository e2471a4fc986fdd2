"""What the catalogue tests read: every translatable string of the templates and the Python
code, the zh-hans catalogues as a gettext-free parser sees them, and English text a template
shows outside translation tags.

No gettext tools are needed (a fresh machine may not have msgfmt): templates go through
Django's own ``templatize`` (what ``makemessages`` feeds to xgettext), Python through ``ast``,
and ``.po`` files through the small reader below.
"""

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "web" / "templates"
PLATFORM = ROOT / "platform"

GETTEXT = {
    "_": 1, "gettext": 1, "gettext_lazy": 1, "gettext_noop": 1, "ngettext": 2,
    "ngettext_lazy": 2, "pgettext": 2, "pgettext_lazy": 2, "npgettext": 3, "npgettext_lazy": 3,
}  # fmt: skip
_CALL = re.compile(r"\b(n?p?gettext)\(")


@dataclass(frozen=True)
class Message:
    msgid: str
    where: str  # file:line, for the failure message
    context: str = ""
    plural: str = ""


# ---------------------------------------------------------------- extraction


def template_messages(paths: Iterable[Path]) -> Iterator[Message]:
    for path in paths:
        source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for match in _CALL.finditer(source):
            call = _balanced_call(source, match.start())
            line = source.count("\n", 0, match.start()) + 1
            yield from _from_call(ast.parse(call, mode="eval").body, f"{_rel(path)}:{line}")


def python_messages(paths: Iterable[Path]) -> Iterator[Message]:
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield from _from_call(node, f"{_rel(path)}:{node.lineno}")


def _from_call(node: ast.Call, where: str) -> Iterator[Message]:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name not in GETTEXT:
        return
    texts = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
             for a in node.args]  # fmt: skip
    contextual = name.startswith(("pgettext", "npgettext"))
    context, texts = (texts[0], texts[1:]) if contextual else ("", texts)
    if not texts or texts[0] is None:
        return  # a variable: not a message of ours
    plural = texts[1] if name.startswith(("ngettext", "npgettext")) and len(texts) > 1 else ""
    yield Message(texts[0], where, context or "", plural or "")


def _balanced_call(source: str, start: int) -> str:
    depth, quote, index = 0, "", start
    while index < len(source):
        char = source[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return source[start : index + 1]
        index += 1
    raise ValueError(f"unbalanced call at {start}")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------- catalogues


def read_po(path: Path) -> dict[tuple[str, str], list[str]]:
    """``(context, msgid) -> [msgstr, ...]`` (one per plural form); fuzzy entries left out."""
    entries: dict[tuple[str, str], list[str]] = {}
    fields: dict[str, str] = {}
    key, fuzzy = "", False

    def flush():
        if fields.get("msgid") and not fuzzy:
            strings = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
            entries[(fields.get("msgctxt", ""), fields["msgid"])] = strings

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        starts_entry = line.startswith(("msgctxt ", "msgid ")) and key.startswith("msgstr")
        if (line.startswith("#") and key.startswith("msgstr")) or starts_entry:
            flush()
            fields, key, fuzzy = {}, "", False
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            fields[key] += ast.literal_eval(line)
            continue
        key, _, rest = line.partition(" ")
        fields[key] = ast.literal_eval(rest)
    flush()
    return entries


def merged_catalog(po_files: Iterable[Path]) -> dict[tuple[str, str], list[str]]:
    merged: dict[tuple[str, str], list[str]] = {}
    for path in po_files:
        for key, strings in read_po(path).items():
            if all(strings) and key not in merged:
                merged[key] = strings
    return merged


def untranslated(messages: Iterable[Message], catalog) -> list[Message]:
    """The messages without a complete translation, each once."""
    missing, seen = [], set()
    for message in messages:
        key = (message.context, message.msgid)
        if key not in catalog and key not in seen:
            seen.add(key)
            missing.append(message)
    return missing


# ---------------------------------------------------------------- English outside tags

_VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


def stray_english(path: Path, allowed: set[str]) -> list[str]:
    """The texts with English a template shows without a translation tag: its text nodes
    and visible attributes, with every template tag, variable and translated block taken
    out. Words in ``allowed`` (names) are not English."""
    collector = _TextCollector()
    collector.feed(_skeleton(path.read_text(encoding="utf-8")))
    collector.close()
    return [
        " ".join(text.split())
        for text in collector.texts
        if any(word not in allowed for word in _WORD.findall(text))
    ]


def _skeleton(source: str) -> str:
    parts, skipping = [], None
    for token in Lexer(source).tokenize():
        content = token.contents.split(" ", 1)[0] if token.token_type == TokenType.BLOCK else ""
        if skipping:
            skipping = None if content == skipping else skipping
        elif content in ("blocktranslate", "blocktrans", "comment"):
            skipping = "end" + content
        elif token.token_type == TokenType.TEXT:
            parts.append(token.contents)
        elif token.token_type == TokenType.VAR:
            parts.append("0")
    return "".join(parts)


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._raw = 0  # inside <script>/<style>

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._raw += 1
        self.texts += [v for k, v in attrs if k in _VISIBLE_ATTRIBUTES and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._raw = max(0, self._raw - 1)

    def handle_data(self, data):
        if not self._raw:
            self.texts.append(data)
