"""Ticket data as people read it: each field under its form title, values formatted
(money with its currency, dates in the reader's time zone, yes/no, option labels, names of
people, customers and catalogue parts) and lists and objects as tables; a title or label written in both
languages ("车牌号 Plate number") in the reader's. Engine bookkeeping (the ticket number,
the triage's priority and SLA hours) is left out: the header shows those.

The data given here has already been through tickets.visibility (hidden fields removed,
masked ones masked): this module only formats what the reader may see.
"""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from definitions.element_names import local_name
from forms.fields import CHOICE_TYPES, Field, option_key
from forms.regions import address_text
from pricing.queries import part_names, warehouse_names

CENT = Decimal("0.01")
CURRENCY_SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}
# Process data the engine and the templates keep for themselves: shown in the header
# (priority, SLA) or meaningless to a reader.
ENGINE_KEYS = frozenset({"ticket_number", "priority", "sla_hours", "reopened_as"})
# Results of the pricing operators, shown as line tables (see `money_lines`).
LINE_TABLES = {"quote": gettext_lazy("Quote"), "settlement": gettext_lazy("Settlement")}
LINE_LABELS = {
    "labor": gettext_lazy("Labour"),
    "labour": gettext_lazy("Labour"),
    "parts": gettext_lazy("Parts"),
    "services": gettext_lazy("Services"),
    "subtotal": gettext_lazy("Subtotal"),
    "tax": gettext_lazy("Tax"),
    "discount": gettext_lazy("Discount"),
}
_NOT_LINES = frozenset({"total", "currency", "decision_version", "payment_method", "instalments"})
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    footer: list[list[str]] = field(default_factory=list)  # [label, amount] lines


@dataclass
class Entry:
    """One field of the data: a formatted `text`, a `table`, or nested `entries`."""

    key: str
    title: str
    text: str = ""
    table: Table | None = None
    entries: list["Entry"] = field(default_factory=list)


@dataclass
class Names:
    """Display names of the people, customers, parts and warehouses the data refers to,
    read once per page."""

    users: dict[str, str] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)
    warehouses: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, usernames=(), customer_ids=(), skus=(), warehouse_codes=()) -> "Names":
        names = cls(parts=part_names({str(s) for s in skus if s}) if skus else {})
        if warehouse_codes:
            names.warehouses = warehouse_names({str(c) for c in warehouse_codes if c})
        wanted = {str(u) for u in usernames if u}
        if wanted:
            for user in User.objects.filter(username__in=wanted).only(
                "username", "first_name", "last_name"
            ):
                names.users[user.username] = user.get_full_name() or user.username
        ids = {int(c) for c in customer_ids if str(c).isdigit()}
        if ids:
            for cid, name in Customer.objects.filter(id__in=ids).values_list("id", "name"):
                names.customers[str(cid)] = name
        return names

    def user(self, username: Any) -> str:
        return self.users.get(str(username), str(username)) if username else ""

    def part(self, sku: Any) -> str:
        """ "主控板 · EQ-CTRL-BOARD": the catalogue's name in the reader's language, and the
        SKU the warehouse goes by (the SKU alone when the catalogue has no such part)."""
        return with_code(self.parts.get(str(sku)), str(sku))

    def warehouse(self, code: Any) -> str:
        """ "上海中心仓 · WH-SH", as `part` names a part."""
        return with_code(self.warehouses.get(str(code)), str(code))


def with_code(name: str | None, code: str) -> str:
    """A catalog entry as people pick and read it: its name in the reader's language and
    the code it goes by; the code alone when it has no other name."""
    return f"{local_name(name)} · {code}" if name and name != code else code


def yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def money(value: Any, currency: str = "CNY") -> str:
    """¥1,234.50: two decimals, thousands grouped by commas in every language (as the
    statements and the settlement block write money; Django's Chinese number format
    groups nothing), the currency's sign."""
    try:
        amount = Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    sign = CURRENCY_SIGNS.get(currency, f"{currency} ")
    text = f"{abs(amount):,.2f}"
    return f"-{sign}{text}" if amount < 0 else f"{sign}{text}"


def number(value: Any) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    places = max(0, -amount.normalize().as_tuple().exponent) if amount % 1 else 0
    return formats.number_format(amount, places, use_l10n=True, force_grouping=True)


def when(value: Any) -> str:
    """A datetime in the active time zone (the reader's), a date as a date."""
    if isinstance(value, str):
        value = _parse_time(value)
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=dt.UTC)
        local = timezone.localtime(value)
        return formats.date_format(local, "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


def _parse_time(text: str):
    try:
        if _ISO_DATETIME.match(text):
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def humanize(key: str) -> str:
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def plain(value: Any) -> str:
    """A value no form describes, without showing Python's spelling of it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int | float | Decimal):
        return number(value)
    if isinstance(value, str):
        parsed = _parse_time(value) if _ISO_DATETIME.match(value) else value
        return when(parsed) if isinstance(parsed, dt.datetime) else value
    if isinstance(value, list | tuple):
        return ", ".join(plain(item) for item in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{humanize(str(k))}: {plain(v)}" for k, v in value.items())
    return str(value)


class Formatter:
    """Formats one ticket's data with its template's fields (`fields`: path -> Field); data
    no form describes is titled from `titles` (definitions.element_names.output_titles) and
    its values read by their labels in `options` (output_options)."""

    def __init__(
        self,
        fields: Mapping[str, Field],
        names: Names,
        titles: Mapping | None = None,
        options: Mapping[str, Mapping[str, str]] | None = None,
    ):
        self.fields = fields
        self.names = names
        self.titles = titles or {}
        self.options = options or {}

    def text(self, f: Field | None, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if f is None:
            return plain(value)
        if isinstance(value, bool):
            return yes_no(value)
        if f.type == "money":
            return money(value)
        if f.type in ("date", "datetime"):
            return when(value)
        if f.type in CHOICE_TYPES or f.options:
            return self._labels(f, value)
        if f.type == "user":
            return self._each(value, self.names.user)
        if f.type == "customer":
            return self._each(value, lambda c: self.names.customers.get(str(c), str(c)))
        if f.type == "part":
            return self._each(value, self.names.part)
        if f.type == "warehouse":
            return self._each(value, self.names.warehouse)
        if f.type == "rating":
            return _("%(score)s of 5") % {"score": value}
        if f.type in ("number", "integer"):
            return number(value)
        if f.type == "file":
            return self._each(value, lambda v: v.get("name", "") if isinstance(v, Mapping) else v)
        return plain(value)

    def _labels(self, f: Field, value: Any) -> str:
        labels = {option.key: local_name(option.label) for option in f.options}
        return self._each(value, lambda v: labels.get(option_key(v), plain(v)))

    @staticmethod
    def _each(value: Any, one) -> str:
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(str(one(v)) for v in values)

    def entry(self, key: str, value: Any, path: str = "") -> Entry:
        path = f"{path}{key}"
        f = self.fields.get(path)
        title = (
            (local_name(f.title) if f and f.title else "")
            or self.titles.get(path, "")
            or str(LINE_TABLES.get(key, ""))
            or humanize(key)
        )
        if not path.count(".") and key in LINE_TABLES and isinstance(value, Mapping):
            return Entry(key, title, table=money_lines(value))
        if f is not None and f.type == "address" and isinstance(value, Mapping):
            return Entry(key, title, text=address_text(value) or "—")  # one line, no part names
        if isinstance(value, Mapping):
            return Entry(
                key, title, entries=[self.entry(k, v, f"{path}.") for k, v in value.items()]
            )
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            return Entry(key, title, table=self.table(path, value))
        if f is None and path in self.options and value not in (None, "", []):
            labels = self.options[path]
            return Entry(key, title, text=self._each(value, lambda v: labels.get(str(v), plain(v))))
        return Entry(key, title, text=self.text(f, value))

    def table(self, path: str, rows: list[Mapping]) -> Table:
        columns: list[str] = []
        for row in rows:
            columns += [k for k in row if k not in columns]
        headers = []
        for column in columns:
            f = self.fields.get(f"{path}.{column}")
            headers.append(local_name(f.title) if f and f.title else humanize(column))
        cells = [
            [self.text(self.fields.get(f"{path}.{c}"), row.get(c)) for c in columns] for row in rows
        ]
        return Table(headers, cells)


def money_lines(value: Mapping) -> Table:
    """A quote or settlement result as lines of money with its total underneath."""
    currency = str(value.get("currency") or "CNY")
    rows = [
        [str(LINE_LABELS.get(k, humanize(k))), money(v, currency)]
        for k, v in value.items()
        if k not in _NOT_LINES and not isinstance(v, Mapping | list)
    ]
    footer = [[_("Total"), money(value["total"], currency)]] if "total" in value else []
    return Table([_("Item"), _("Amount")], rows, footer)


def data_entries(
    data: Mapping, fields: Mapping[str, Field], names: Names, titles=None, options=None
):
    """(entries under form titles, entries of data no form describes, titled from
    `titles` where it names them and its values labelled from `options`); times in the
    active time zone (the view activates the reader's)."""
    formatter = Formatter(fields, names, titles, options)
    shown = {k: v for k, v in data.items() if k not in ENGINE_KEYS and not k.startswith("_")}
    # In the forms' order (the start form's, then each step's), whatever order stored
    # JSON keeps its keys in; then the pricing results, then what no form describes.
    in_forms = [path for path in fields if path in shown]
    tables = [key for key in LINE_TABLES if key in shown and key not in fields]
    rest = sorted(key for key in shown if key not in fields and key not in LINE_TABLES)
    described = [formatter.entry(key, shown[key]) for key in in_forms + tables]
    return described, [formatter.entry(key, shown[key]) for key in rest]


def referenced_names(data: Mapping, fields: Mapping[str, Field]) -> dict[str, set[str]]:
    """What the data's user, customer, part and warehouse fields hold, by field type: the
    arguments of Names.load (usernames, customer_ids, skus, warehouse_codes)."""
    by_type = {
        "user": "usernames",
        "customer": "customer_ids",
        "part": "skus",
        "warehouse": "warehouse_codes",
    }
    found: dict[str, set[str]] = {name: set() for name in by_type.values()}
    for path, f in fields.items():
        if f.type not in by_type:
            continue
        value = _at(data, path)
        values = value if isinstance(value, list | tuple) else [value]
        found[by_type[f.type]].update(str(v) for v in values if v not in (None, ""))
    return found


def _at(data: Mapping, path: str) -> Any:
    current: Any = data
    for part in path.split("."):
        if isinstance(current, list):
            current = [c.get(part) for c in current if isinstance(c, Mapping)]
        elif isinstance(current, Mapping):
            current = current.get(part)
        else:
            return None
    return current
