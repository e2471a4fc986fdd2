"""CSV import and export of the catalogs, with row-level error reports.

Import is all or nothing: every row is checked first; one bad row and nothing is stored, and the
report lists each bad row by its line number (the header is line 1), column and reason. Files
may be UTF-8 (with or without BOM) or GBK/GB18030, as Excel on a Chinese Windows writes them.
Text cells may not start with ``= + - @`` (spreadsheet formulas); exports prefix such cells with
an apostrophe so a spreadsheet shows them as text.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MONEY_MAX = Decimal("9999999999.99")
FORMULA_START = ("=", "+", "-", "@")


class CsvFileError(ValueError):
    """The file as a whole is unreadable (encoding, size, header)."""


class CellError(ValueError):
    pass


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "errors": [e.as_dict() for e in self.errors],
        }


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise CsvFileError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CsvFileError("file is neither UTF-8 nor GBK text")  # pragma: no cover - gb18030 is total


# --- cell parsers: each returns the value or raises CellError with a reason a person reads ---


def text(raw: str, *, required: bool = True, max_length: int = 200) -> str:
    value = raw.strip()
    if required and not value:
        raise CellError("is required")
    if value.startswith(FORMULA_START):
        raise CellError(f"starts with {value[0]!r}: formulas are not accepted")
    if len(value) > max_length:
        raise CellError(f"is longer than {max_length} characters")
    return value


def _decimal(raw: str) -> Decimal:
    value = raw.strip().replace(",", "")
    if not value:
        raise CellError("is required")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(f"is not a number: {raw.strip()!r}") from None
    if not number.is_finite():
        raise CellError("is not a finite number")
    return number


def money(raw: str) -> Decimal:
    number = _decimal(raw)
    if number < 0:
        raise CellError("must not be negative")
    if number > MONEY_MAX:
        raise CellError(f"is beyond the largest amount ({MONEY_MAX})")
    if number != number.quantize(Decimal("0.01")):
        raise CellError("has more than 2 decimal places")
    return number.quantize(Decimal("0.01"))


def rate(raw: str, *, below_one: bool = True, positive: bool = False) -> Decimal:
    number = _decimal(raw) if raw.strip() else Decimal(0)
    if number < 0 or (positive and number == 0):
        raise CellError("must be greater than 0" if positive else "must not be negative")
    if below_one and number >= 1:
        raise CellError("must be a fraction below 1 (0.13 for 13%)")
    if number > Decimal("9999"):
        raise CellError("is too large")
    if number != number.quantize(Decimal("0.0001")):
        raise CellError("has more than 4 decimal places")
    return number.quantize(Decimal("0.0001"))


def whole(raw: str, *, minimum: int = 0, default: int | None = None) -> int:
    if not raw.strip() and default is not None:
        return default
    number = _decimal(raw)
    if number != number.to_integral_value():
        raise CellError("must be a whole number")
    if number < minimum:
        raise CellError("must not be negative" if minimum == 0 else f"must be at least {minimum}")
    if number > 2_000_000_000:
        raise CellError("is too large")
    return int(number)


def tier_breaks(raw: str) -> list[dict]:
    """``10:90.00;50:80.00`` -> [{"min_qty": 10, "unit_price": "90.00"}, ...] ascending."""
    breaks, last = [], 1
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        qty, sep, price = part.partition(":")
        if not sep:
            raise CellError(f"entry {part!r} is not quantity:price")
        try:
            min_qty, unit_price = whole(qty, minimum=2), money(price)
        except CellError as exc:
            raise CellError(f"entry {part!r}: {exc}") from None
        if min_qty <= last:
            raise CellError("quantities must rise from one break to the next")
        breaks.append({"min_qty": min_qty, "unit_price": str(unit_price)})
        last = min_qty
    return breaks


def format_breaks(breaks: list[dict]) -> str:
    return ";".join(f"{b['min_qty']}:{b['unit_price']}" for b in breaks)


# --- reading and writing ---


def read_rows(data: bytes, columns: tuple[str, ...], required: tuple[str, ...]):
    """Yield (line number, {column: raw text}) for each non-empty data row."""
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CsvFileError("file is empty") from None
    except csv.Error as exc:
        raise CsvFileError(f"line 1: {exc}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise CsvFileError(f"line 1: missing column(s) {', '.join(missing)}")
    unknown = [h for h in header if h not in columns]
    if unknown:
        raise CsvFileError(f"line 1: unknown column(s) {', '.join(unknown)}")
    count = 0
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            if count > MAX_ROWS:
                raise CsvFileError(f"more than {MAX_ROWS} rows")
            line = reader.line_num
            if len(row) > len(header):
                yield line, None
                continue
            yield line, {c: (row[i] if i < len(row) else "") for i, c in enumerate(header)}
    except csv.Error as exc:
        raise CsvFileError(f"line {reader.line_num}: {exc}") from None


def escape_cell(value) -> str:
    text_value = "" if value is None else str(value)
    if text_value.startswith(FORMULA_START) or text_value.startswith(("\t", "\r")):
        return "'" + text_value
    return text_value


def write_csv(columns: tuple[str, ...], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([escape_cell(row.get(c)) for c in columns])
    return out.getvalue()
