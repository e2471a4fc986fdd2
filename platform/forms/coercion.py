"""Turning one submitted value into its typed value, with the field's constraints checked.

Values arrive as strings from HTML posts and as JSON types from the API; both go through the
same functions. Typed results: text ``str``, integer ``int``, number ``int`` or ``float``,
money ``Decimal`` with 2 places (parsed from the string, never through a float), date
``datetime.date``, datetime an aware ``datetime`` in UTC (naive input is read in the current
time zone), checkbox ``bool``, choices the option's own value, multi-select a list, cascade
a list path, pickers a string (list when multiple), files metadata dicts.
"""

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from forms.fields import PICKER_NOUNS, Field, Option, field_options, level_label, option_key
from forms.regions import AddressInvalid, clean_address
from forms.uploads import METADATA_KEYS, accepts

_TRUE = frozenset({"true", "on", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "off", "0", "no", "n", "f", ""})
_CENTS = Decimal("0.01")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class Invalid(ValueError):
    """One field's value is not acceptable; the message is shown to the user."""


@dataclass
class CoerceContext:
    data: Mapping[str, Any] = field(default_factory=dict)  # trusted data (options from vars)
    lookups: Mapping[str, Callable[[str], bool]] = field(default_factory=dict)


def is_blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    return isinstance(raw, list | tuple | dict) and not raw


def coerce_value(field: Field, raw: Any, ctx: CoerceContext) -> Any:
    """A non-blank raw value -> its typed value. Raises Invalid."""
    return _COERCERS[field.type](field, raw, ctx)


# ---------------------------------------------------------------- text


def _text(field: Field, raw: Any, ctx: CoerceContext) -> str:
    if not isinstance(raw, str):
        raise Invalid(_("Enter text."))
    value = raw.strip()
    if field.min_length is not None and len(value) < field.min_length:
        raise Invalid(
            ngettext(
                "Enter at least %(count)d character.",
                "Enter at least %(count)d characters.",
                field.min_length,
            )
            % {"count": field.min_length}
        )
    if field.max_length is not None and len(value) > field.max_length:
        raise Invalid(
            ngettext(
                "Enter at most %(count)d character.",
                "Enter at most %(count)d characters.",
                field.max_length,
            )
            % {"count": field.max_length}
        )
    if field.pattern and not re.search(field.pattern, value):
        raise Invalid(field.error_message or _("Enter a value in the expected format."))
    _check_format(field, value)
    return value


def _check_format(field: Field, value: str) -> None:
    try:
        if field.format == "email":
            validate_email(value)
        elif field.format in ("uri", "url"):
            URLValidator()(value)
    except ValidationError:
        message = (
            _("Enter a valid email address.")
            if field.format == "email"
            else _("Enter a valid URL.")
        )
        raise Invalid(field.error_message or message) from None


# ---------------------------------------------------------------- numbers


def _decimal(raw: Any, message: str) -> Decimal:
    if isinstance(raw, bool):
        raise Invalid(message)
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))  # the shortest text that round-trips, not the binary value
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise Invalid(message) from None
    else:
        raise Invalid(message)
    if not value.is_finite():
        raise Invalid(message)
    return value


def _check_bounds(field: Field, value: Decimal) -> None:
    if field.minimum is not None and value < field.minimum:
        raise Invalid(_("Must be at least %(limit)s.") % {"limit": field.minimum})
    if field.maximum is not None and value > field.maximum:
        raise Invalid(_("Must be at most %(limit)s.") % {"limit": field.maximum})
    if field.exclusive_minimum is not None and value <= field.exclusive_minimum:
        raise Invalid(_("Must be greater than %(limit)s.") % {"limit": field.exclusive_minimum})
    if field.exclusive_maximum is not None and value >= field.exclusive_maximum:
        raise Invalid(_("Must be less than %(limit)s.") % {"limit": field.exclusive_maximum})
    if field.multiple_of and value % field.multiple_of != 0:
        raise Invalid(_("Must be a multiple of %(step)s.") % {"step": field.multiple_of})


def _number(field: Field, raw: Any, ctx: CoerceContext) -> int | float:
    value = _decimal(raw, _("Enter a number."))
    _check_bounds(field, value)
    return int(value) if value == value.to_integral_value() else float(value)


def _integer(field: Field, raw: Any, ctx: CoerceContext) -> int:
    value = _decimal(raw, _("Enter a whole number."))
    if value != value.to_integral_value():
        raise Invalid(_("Enter a whole number."))
    _check_bounds(field, value)
    return int(value)


def _money(field: Field, raw: Any, ctx: CoerceContext) -> Decimal:
    if isinstance(raw, str):  # people type "¥1,234.50"
        raw = re.sub(r"[\s,¥￥]", "", raw)
    value = _decimal(raw, _("Enter an amount such as 1234.50."))
    if value.adjusted() > 15:  # far beyond any ticket amount; also keeps quantize exact
        raise Invalid(_("Enter a smaller amount."))
    if value != value.quantize(_CENTS):
        raise Invalid(_("Enter an amount with at most 2 decimal places."))
    value = value.quantize(_CENTS)
    _check_bounds(field, value)
    return value


def _rating(field: Field, raw: Any, ctx: CoerceContext) -> int:
    low, high = field.minimum, field.maximum
    try:
        return _integer(field, raw, ctx)
    except Invalid:
        raise Invalid(
            _("Choose a rating from %(low)s to %(high)s.") % {"low": low, "high": high}
        ) from None


# ---------------------------------------------------------------- dates


def _date(field: Field, raw: Any, ctx: CoerceContext) -> dt.date:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise Invalid(_("Enter a valid date (YYYY-MM-DD).")) from None


def _datetime(field: Field, raw: Any, ctx: CoerceContext) -> dt.datetime:
    value = raw
    if not isinstance(raw, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(raw).strip())
        except ValueError:
            raise Invalid(_("Enter a valid date and time (YYYY-MM-DD HH:MM).")) from None
    if timezone.is_naive(value):  # a datetime-local input is in the user's time zone
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value.astimezone(dt.UTC)


def _checkbox(field: Field, raw: Any, ctx: CoerceContext) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, list) and raw:  # a hidden "false" followed by the checked box's "on"
        raw = raw[-1]
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(_("Enter true or false."))


# ---------------------------------------------------------------- choices


def _match(options: tuple[Option, ...], raw: Any) -> Option | None:
    for option in options:
        if type(option.value) is type(raw) and option.value == raw:
            return option
    key = raw if isinstance(raw, str) else option_key(raw)
    return next((o for o in options if o.key == key), None)


def _select(field: Field, raw: Any, ctx: CoerceContext) -> Any:
    option = _match(field_options(field, ctx.data), raw)
    if option is None:
        raise Invalid(_("Select a valid choice."))
    return option.value


def _multi_select(field: Field, raw: Any, ctx: CoerceContext) -> list:
    items = raw if isinstance(raw, list | tuple) else [raw]
    options = field_options(field, ctx.data)
    values = []
    for item in items:
        option = _match(options, item)
        if option is None:
            raise Invalid(_("%(value)r is not one of the available choices.") % {"value": item})
        values.append(option.value)
    if field.unique_items and len({option_key(v) for v in values}) != len(values):
        raise Invalid(_("Choose each option only once."))
    _check_count(field, values, _CHOOSE)
    return values


_CHOOSE = (gettext_lazy("Choose at least %(count)d."), gettext_lazy("Choose at most %(count)d."))
_ATTACH = (gettext_lazy("Attach at least %(count)d."), gettext_lazy("Attach at most %(count)d."))


def _check_count(field: Field, values: list, messages: tuple) -> None:
    at_least, at_most = messages
    if field.min_items is not None and len(values) < field.min_items:
        raise Invalid(str(at_least) % {"count": field.min_items})
    if field.max_items is not None and len(values) > field.max_items:
        raise Invalid(str(at_most) % {"count": field.max_items})


def _cascade(field: Field, raw: Any, ctx: CoerceContext) -> list:
    if not isinstance(raw, list | tuple):
        raise Invalid(_("Choose a path such as [province, city, district]."))
    items = list(raw)
    while items and is_blank(items[-1]):  # levels left empty at the end
        items.pop()
    options, path = field.options, []
    for level, item in enumerate(items):
        label = field.levels[level] if level < len(field.levels) else level_label(level)
        option = _match(options, item)
        if option is None:
            raise Invalid(_("Choose a valid %(level)s.") % {"level": label})
        path.append(option.value)
        options = option.children
    if options and not field.allow_partial:
        level = len(path)
        label = field.levels[level] if level < len(field.levels) else level_label(level)
        raise Invalid(_("Choose a %(level)s.") % {"level": label})
    return path


def _address(field: Field, raw: Any, ctx: CoerceContext) -> dict[str, str]:
    try:
        return clean_address(raw)
    except AddressInvalid as exc:
        raise Invalid(str(exc)) from None


# ---------------------------------------------------------------- pickers and files


def _picker(field: Field, raw: Any, ctx: CoerceContext) -> str | list[str]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    if not field.multiple and len(items) != 1:
        raise Invalid(_("Choose one %(kind)s.") % {"kind": PICKER_NOUNS[field.type]})
    if not all(isinstance(item, str | int) and not isinstance(item, bool) for item in items):
        raise Invalid(_("Enter a %(kind)s identifier.") % {"kind": PICKER_NOUNS[field.type]})
    values = [str(item).strip() for item in items if not is_blank(item)]
    lookup = ctx.lookups.get(field.type)
    if lookup is None:  # failing closed: an unchecked name could be anyone's
        raise Invalid(
            _("No %(kind)s directory is available to check this value.")
            % {"kind": PICKER_NOUNS[field.type]}
        )
    unknown = [value for value in values if not lookup(value)]
    if unknown:
        raise Invalid(
            _("Unknown %(kind)s: %(values)s.")
            % {"kind": PICKER_NOUNS[field.type], "values": ", ".join(unknown)}
        )
    if field.multiple:
        _check_count(field, values, _CHOOSE)
        return values
    return values[0]


def _file(field: Field, raw: Any, ctx: CoerceContext) -> dict | list[dict]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    if not field.multiple and len(items) != 1:
        raise Invalid(_("Attach one file."))
    metas = [_file_metadata(field, item) for item in items]
    if field.multiple:
        _check_count(field, metas, _ATTACH)
        return metas
    return metas[0]


def _file_metadata(field: Field, raw: Any) -> dict:
    if not isinstance(raw, Mapping) or set(raw) != set(METADATA_KEYS):
        raise Invalid(_("A file is described by %(keys)s.") % {"keys": ", ".join(METADATA_KEYS)})
    name, size, ctype = raw["name"], raw["size"], raw["content_type"]
    if not isinstance(name, str) or not name or not isinstance(ctype, str):
        raise Invalid(_("A file needs a name and a content type."))
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise Invalid(_("A file's size must be a whole number of bytes."))
    if field.max_bytes is not None and size > field.max_bytes:
        raise Invalid(
            _("%(name)s is too large (at most %(limit)s).")
            % {"name": name, "limit": _human_bytes(field.max_bytes)}
        )
    if not accepts(field.accept, ctype):
        raise Invalid(
            _("%(name)s: files of type %(type)s are not accepted here.")
            % {"name": name, "type": ctype}
        )
    if not isinstance(raw["sha256"], str) or not _SHA256.fullmatch(raw["sha256"]):
        raise Invalid(_("%(name)s: sha256 must be 64 lowercase hex digits.") % {"name": name})
    return {key: raw[key] for key in METADATA_KEYS}


def _human_bytes(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024
    return str(size)


_COERCERS: dict[str, Callable[[Field, Any, CoerceContext], Any]] = {
    "text": _text,
    "textarea": _text,
    "number": _number,
    "integer": _integer,
    "money": _money,
    "rating": _rating,
    "date": _date,
    "datetime": _datetime,
    "checkbox": _checkbox,
    "select": _select,
    "radio": _select,
    "multi-select": _multi_select,
    "cascade": _cascade,
    "address": _address,
    "user": _picker,
    "customer": _picker,
    "part": _picker,
    "warehouse": _picker,
    "file": _file,
}
