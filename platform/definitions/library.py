"""The industry template library: `processes/catalog.json` lists the shipped templates (key,
industry, title and description in each language, BPMN file, decisions, tags) that a
business copies into a process of its own."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

LANGUAGES = ("en", "zh-hans")


def language_of(code: str | None) -> str:
    """The catalog's language for a Django language code (zh-hans, zh-cn, en-us...)."""
    return "zh-hans" if (code or "").lower().startswith("zh") else "en"


@dataclass(frozen=True)
class Template:
    key: str
    industry: str
    bpmn: str
    title: dict[str, str]
    description: dict[str, str]
    decisions: tuple[str, ...]
    tags: tuple[str, ...]
    demo_tickets: tuple[dict, ...] = ()  # {"title", "data", "correlation_key"?} for load_demo

    @property
    def bpmn_path(self) -> Path:
        return Path(settings.PROCESSES_DIR) / self.bpmn

    @property
    def scenario_path(self) -> Path:
        return Path(settings.PROCESSES_DIR) / "tests" / f"test_{Path(self.bpmn).stem}.json"


@dataclass(frozen=True)
class Catalog:
    industries: dict[str, dict[str, str]]
    tags: dict[str, dict[str, str]]
    templates: tuple[Template, ...]
    not_templates: dict[str, str]

    def get(self, key: str) -> Template | None:
        return next((t for t in self.templates if t.key == key), None)


def read_catalog(path: Path) -> Catalog:
    raw = json.loads(path.read_text(encoding="utf-8"))
    templates = tuple(
        Template(
            key=t["key"],
            industry=t["industry"],
            bpmn=t["bpmn"],
            title=dict(t["title"]),
            description=dict(t["description"]),
            decisions=tuple(t.get("decisions", ())),
            tags=tuple(t.get("tags", ())),
            demo_tickets=tuple(t.get("demo_tickets", ())),
        )
        for t in raw["templates"]
    )
    return Catalog(raw["industries"], raw["tags"], templates, raw.get("not_templates", {}))


@cache
def _cached(path: Path, mtime: float) -> Catalog:
    return read_catalog(path)


def catalog() -> Catalog:
    """The shipped catalog (read again when the file changes)."""
    path = Path(settings.PROCESSES_DIR) / "catalog.json"
    return _cached(path, path.stat().st_mtime)
