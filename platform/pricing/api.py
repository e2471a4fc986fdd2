"""Catalog, stock and simulation endpoints under /api/v1/pricing (scopes pricing:read /
pricing:write); settlements, payments and corrections are in pricing.settlement_api, a
ticket's part reservations in tickets.parts_api (reading them needs the ticket's access)."""

from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from integrations.auth import require_scope
from integrations.errors import ApiError
from pricing import catalogs, csvio, simulate
from pricing.actions import do_import_catalog, may_edit_catalog
from pricing.models import CustomerTier, Part, Region, ServiceItem, StockLevel

router = Router(tags=["pricing"])


class ErrorOut(Schema):
    detail: str


class RowErrorOut(Schema):
    line: int
    column: str
    message: str


class ImportOut(Schema):
    kind: str
    rows: int
    created: int
    updated: int
    errors: list[RowErrorOut]


class ImportErrorOut(Schema):
    detail: str
    report: ImportOut


class TierBreakOut(Schema):
    min_qty: int
    unit_price: Decimal


class ServiceOut(Schema):
    code: str
    name: str
    category: str
    unit: str
    base_price: Decimal
    labour_hours: Decimal
    tier_breaks: list[TierBreakOut]
    tax_rate: Decimal


class StockOut(Schema):
    warehouse: str
    on_hand: int
    reserved: int
    available: int


class PartOut(Schema):
    sku: str
    name: str
    category: str
    unit_cost: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    reorder_level: int
    stock: list[StockOut]


class RegionOut(Schema):
    code: str
    name: str
    coefficient: Decimal


class TierOut(Schema):
    code: str
    name: str
    discount_rate: Decimal


def _writer(request) -> None:
    if not may_edit_catalog(request.user):
        raise ApiError(403, "you may not change the pricing catalogs")


def _kind(kind: str) -> catalogs.Kind:
    try:
        return catalogs.KINDS[kind]
    except KeyError:
        raise ApiError(
            404, f"unknown catalog {kind!r}; one of {', '.join(catalogs.KINDS)}"
        ) from None


@router.get("/pricing/services", response=list[ServiceOut])
@require_scope("pricing:read")
def list_services(request: HttpRequest):
    """Active service items with their tier breaks."""
    return list(ServiceItem.objects.filter(active=True))


@router.get("/pricing/parts", response=list[PartOut])
@require_scope("pricing:read")
def list_parts(request: HttpRequest):
    """Parts with stock per warehouse (on hand, reserved, available)."""
    stock = {}
    for s in StockLevel.objects.select_related("warehouse"):
        stock.setdefault(s.part_id, []).append(
            {
                "warehouse": s.warehouse.code,
                "on_hand": s.on_hand,
                "reserved": s.reserved,
                "available": s.available,
            }
        )
    return [
        {**{f: getattr(p, f) for f in catalogs.PART_CELLS}, "stock": stock.get(p.id, [])}
        for p in Part.objects.all()
    ]


@router.get("/pricing/regions", response=list[RegionOut])
@require_scope("pricing:read")
def list_regions(request: HttpRequest):
    """Regions and their price coefficients."""
    return list(Region.objects.all())


@router.get("/pricing/tiers", response=list[TierOut])
@require_scope("pricing:read")
def list_tiers(request: HttpRequest):
    """Customer tiers and their discount rates."""
    return list(CustomerTier.objects.all())


@router.get("/pricing/catalogs/{kind}/export", response={200: None, 404: ErrorOut})
@require_scope("pricing:read")
def export_catalog(request: HttpRequest, kind: str):
    """The catalog as CSV (UTF-8 with BOM; formula-like cells escaped with an apostrophe)."""
    body = "\ufeff" + catalogs.export_csv(_kind(kind))
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


@router.post(
    "/pricing/catalogs/{kind}/import",
    response={200: ImportOut, 400: ImportErrorOut | ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
@require_scope("pricing:write")
def import_catalog(request: HttpRequest, kind: str, file: File[UploadedFile]):
    """Import a CSV (multipart field ``file``): all rows or none; 400 lists the bad rows."""
    _writer(request)
    _kind(kind)
    try:
        report = do_import_catalog(kind, file.read(csvio.MAX_BYTES + 1), by=request.user)
    except csvio.CsvFileError as exc:
        return 400, {"detail": str(exc)}
    if not report.ok:
        return 400, {
            "detail": f"{len(report.errors)} problem(s); nothing was imported",
            "report": report.as_dict(),
        }
    return 200, report.as_dict()


class SimulationCaseOut(Schema):
    ticket_id: str
    old_version: str
    old_total: Decimal
    new_total: Decimal
    difference: Decimal


class SimulationOut(Schema):
    decision_id: str
    version: int
    status: str
    cases: int
    changed: int
    old_total: Decimal
    new_total: Decimal
    difference: Decimal
    results: list[SimulationCaseOut]


@router.get(
    "/pricing/simulations",
    response={200: SimulationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
@require_scope("pricing:read")
def simulate_version(request: HttpRequest, version: int, limit: int = 1000):
    """Old vs new totals of the last ``limit`` settlements (at most 10000) under a version of
    the settlement pricing decision (a draft before publishing), and the aggregate change."""
    _writer(request)
    if not 1 <= limit <= simulate.MAX_CASES:
        return 400, {"detail": f"limit must be between 1 and {simulate.MAX_CASES}"}
    found = simulate.draft_versions().filter(version=version).first()
    if found is None:
        return 404, {"detail": f"{simulate.rules.DECISION_ID} has no version {version}"}
    return 200, simulate.simulate(found, limit)
