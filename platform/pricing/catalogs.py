"""The catalog kinds that CSV import/export and the API know: columns, row checks, storage."""

from collections.abc import Callable
from dataclasses import dataclass

from pricing import csvio
from pricing.csvio import CellError, RowError
from pricing.models import CustomerTier, Part, Region, ServiceItem, StockLevel, Warehouse


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: str
    cells: dict[str, Callable[[str], object]]
    export: Callable[[], list[dict]]


def _opt_text(raw):
    return csvio.text(raw, required=False)


SERVICE_CELLS = {
    "code": lambda r: csvio.text(r, max_length=40),
    "name": csvio.text,
    "category": lambda r: csvio.text(r, required=False, max_length=60),
    "unit": lambda r: csvio.text(r, required=False, max_length=20) or "each",
    "base_price": csvio.money,
    "labour_hours": lambda r: csvio.rate(r or "0", below_one=False),
    "tier_breaks": csvio.tier_breaks,
    "tax_rate": csvio.rate,
}
PART_CELLS = {
    "sku": lambda r: csvio.text(r, max_length=40),
    "name": csvio.text,
    "category": lambda r: csvio.text(r, required=False, max_length=60),
    "unit_cost": csvio.money,
    "unit_price": csvio.money,
    "tax_rate": csvio.rate,
    "reorder_level": lambda r: csvio.whole(r, default=0),
}
STOCK_CELLS = {
    "sku": lambda r: csvio.text(r, max_length=40),
    "warehouse": lambda r: csvio.text(r, max_length=40),
    "on_hand": csvio.whole,
    "warehouse_name": lambda r: csvio.text(r, required=False),  # as people read it
}
REGION_CELLS = {
    "code": lambda r: csvio.text(r, max_length=40),
    "name": csvio.text,
    "coefficient": lambda r: csvio.rate(r, below_one=False, positive=True),
}
TIER_CELLS = {
    "code": lambda r: csvio.text(r, max_length=40),
    "name": csvio.text,
    "discount_rate": csvio.rate,
}


def _services():
    return [
        {
            **{f: getattr(s, f) for f in SERVICE_CELLS if f != "tier_breaks"},
            "tier_breaks": csvio.format_breaks(s.tier_breaks),
        }
        for s in ServiceItem.objects.all()
    ]


def _parts():
    return [{f: getattr(p, f) for f in PART_CELLS} for p in Part.objects.all()]


def _stock():
    return [
        {
            "sku": s.part.sku,
            "warehouse": s.warehouse.code,
            "on_hand": s.on_hand,
            "warehouse_name": s.warehouse.name,
        }
        for s in StockLevel.objects.select_related("part", "warehouse")
    ]


def _regions():
    return [{f: getattr(r, f) for f in REGION_CELLS} for r in Region.objects.all()]


def _tiers():
    return [{f: getattr(t, f) for f in TIER_CELLS} for t in CustomerTier.objects.all()]


KINDS = {
    "services": Kind(
        "services",
        tuple(SERVICE_CELLS),
        ("code", "name", "base_price"),
        "code",
        SERVICE_CELLS,
        _services,
    ),
    "parts": Kind(
        "parts",
        tuple(PART_CELLS),
        ("sku", "name", "unit_cost", "unit_price"),
        "sku",
        PART_CELLS,
        _parts,
    ),
    "stock": Kind(
        "stock",
        tuple(STOCK_CELLS),
        ("sku", "warehouse", "on_hand"),
        "sku+warehouse",
        STOCK_CELLS,
        _stock,
    ),
    "regions": Kind(
        "regions", tuple(REGION_CELLS), tuple(REGION_CELLS), "code", REGION_CELLS, _regions
    ),
    "tiers": Kind("tiers", tuple(TIER_CELLS), tuple(TIER_CELLS), "code", TIER_CELLS, _tiers),
}


def parse_file(kind: Kind, data: bytes) -> tuple[list[dict], list[RowError], int]:
    """Every row checked: (clean rows with their line, errors, row count). Raises
    csvio.CsvFileError when the file as a whole is unreadable."""
    rows, errors, seen, count = [], [], {}, 0
    for line, cells in csvio.read_rows(data, kind.columns, kind.required):
        count += 1
        if cells is None:
            errors.append(RowError(line, "", "has more cells than the header"))
            continue
        values, bad = {"_line": line}, False
        for column, raw in cells.items():
            try:
                values[column] = kind.cells[column](raw)
            except CellError as exc:
                errors.append(RowError(line, column, f"{column} {exc}"))
                bad = True
        if bad:
            continue
        key = (values["sku"], values["warehouse"]) if kind.name == "stock" else values[kind.key]
        if key in seen:
            errors.append(
                RowError(
                    line, kind.key, f"duplicate {kind.key} {key!r} (first on line {seen[key]})"
                )
            )
            continue
        seen[key] = line
        rows.append(values)
    return rows, errors, count


def check_references(kind: Kind, rows: list[dict]) -> list[RowError]:
    """Checks against the database: unknown SKUs, stock below what is reserved, and services
    whose break prices are not below the base price."""
    errors = []
    if kind.name == "stock":
        known = set(
            Part.objects.filter(sku__in={r["sku"] for r in rows}).values_list("sku", flat=True)
        )
        reserved = {
            (s.part.sku, s.warehouse.code): s.reserved
            for s in StockLevel.objects.select_related("part", "warehouse").filter(
                part__sku__in=known
            )
        }
        for row in rows:
            if row["sku"] not in known:
                errors.append(RowError(row["_line"], "sku", f"unknown SKU {row['sku']!r}"))
            elif row["on_hand"] < reserved.get((row["sku"], row["warehouse"]), 0):
                held = reserved[(row["sku"], row["warehouse"])]
                errors.append(
                    RowError(row["_line"], "on_hand", f"on_hand is below the {held} reserved")
                )
    return errors


def store(kind: Kind, rows: list[dict]) -> tuple[int, int]:
    """Upsert the checked rows (the caller holds the transaction). Returns (created, updated)."""
    created = updated = 0
    for row in rows:
        values = {k: v for k, v in row.items() if not k.startswith("_")}
        if kind.name == "stock":
            name = values.get("warehouse_name") or ""
            warehouse, _ = Warehouse.objects.get_or_create(
                code=values["warehouse"], defaults={"name": name or values["warehouse"]}
            )
            if name and warehouse.name != name:  # a name given renames it; none keeps it
                warehouse.name = name
                warehouse.save(update_fields=["name"])
            part = Part.objects.get(sku=values["sku"])
            _, new = StockLevel.objects.update_or_create(
                part=part, warehouse=warehouse, defaults={"on_hand": values["on_hand"]}
            )
        else:
            model = {
                "services": ServiceItem,
                "parts": Part,
                "regions": Region,
                "tiers": CustomerTier,
            }[kind.name]
            key = values.pop(kind.key)
            _, new = model.objects.update_or_create(**{kind.key: key}, defaults=values)
        created += new
        updated += not new
    return created, updated


def export_csv(kind: Kind) -> str:
    return csvio.write_csv(kind.columns, kind.export())
