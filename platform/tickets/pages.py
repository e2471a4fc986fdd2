"""Keyset pages for every list the API and the workbench return.

A cursor is opaque to clients: URL-safe base64 of the JSON sort key of the last row
served. The next page continues after that key, so rows added or removed while a client
pages never shift or repeat the rows it has yet to read, and a deep page costs what the
first one does (no OFFSET).
"""

import base64
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import F, Q


class BadCursor(ValueError):
    pass


@dataclass
class Page:
    items: list
    next_cursor: str | None


def encode_cursor(*key) -> str:
    values = [v.isoformat() if isinstance(v, dt.datetime) else v for v in key]
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *kinds: type) -> tuple:
    """The key in `cursor`, each value converted to its kind (int, datetime; None kept)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong length")
        return tuple(_convert(v, kind) for v, kind in zip(values, kinds, strict=True))
    except (ValueError, TypeError) as exc:
        raise BadCursor("invalid cursor") from exc


def _convert(value, kind: type):
    if value is None:
        return None
    if kind is dt.datetime:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time in cursor")
        return parsed
    if kind is int and isinstance(value, bool):
        raise ValueError("not an int")
    return kind(value)


def keyset_page(rows, limit: int, key) -> Page:
    """`rows`: up to limit + 1 rows in page order; `key(row)` is the row's sort key."""
    rows = list(rows)
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(*key(rows[-1])) if more else None)


@dataclass(frozen=True)
class Sort:
    """An order of list rows (worklist tasks, tickets): (field, descending, nullable)
    columns, the last one unique, nulls last; `kinds` are the cursor's value types."""

    columns: tuple[tuple[str, bool, bool], ...]
    kinds: tuple[type, ...]

    def order(self) -> list:
        return [
            F(name).desc() if descending else F(name).asc(nulls_last=nullable or None)
            for name, descending, nullable in self.columns
        ]

    def key(self, row) -> tuple:
        values = []
        for name, _descending, _nullable in self.columns:
            value = row
            for part in name.split("__"):
                value = getattr(value, part)
            values.append(value)
        return tuple(values)

    def after(self, key: tuple) -> Q:
        """The rows after `key` in this order: for each column, the rows equal on the
        columns before it and beyond it on this one. The first column's own bound is
        repeated on its own, so that an index on it starts the scan there."""
        beyond = Q(pk__in=[])
        same = Q()
        for (name, descending, nullable), value in zip(self.columns, key, strict=True):
            if value is not None:
                step = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
                if nullable:
                    step |= Q(**{f"{name}__isnull": True})
                beyond |= same & step
            same &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
        first, descending, nullable = self.columns[0]
        if key[0] is not None and not nullable:
            beyond &= Q(**{f"{first}__{'lte' if descending else 'gte'}": key[0]})
        return beyond
