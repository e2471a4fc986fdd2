"""The catalog page for process owners: catalogs, stock, CSV import with its error report."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from pricing import catalogs, csvio, simulate
from pricing.actions import do_import_catalog, may_edit_catalog
from pricing.models import CustomerTier, Region, ServiceItem, StockLevel
from pricing.queries import settlement_for

KIND_LABELS = {
    "services": gettext_lazy("Service items"),
    "parts": gettext_lazy("Parts"),
    "stock": gettext_lazy("Stock per warehouse"),
    "regions": gettext_lazy("Regions"),
    "tiers": gettext_lazy("Customer tiers"),
}


@login_required
@require_http_methods(["GET", "POST"])
def catalog(request: HttpRequest) -> HttpResponse:
    editable = may_edit_catalog(request.user)
    report, file_error, status = None, None, 200
    if request.method == "POST":
        if not editable:
            return render(request, "pricing/catalog.html", _context(False), status=403)
        kind = request.POST.get("kind", "")
        upload = request.FILES.get("file")
        if kind not in catalogs.KINDS:
            file_error, status = _("Choose which catalog the file holds."), 400
        elif upload is None:
            file_error, status = _("Choose a CSV file to import."), 400
        else:
            try:
                report = do_import_catalog(kind, upload.read(csvio.MAX_BYTES + 1), by=request.user)
                status = 200 if report.ok else 400
            except csvio.CsvFileError as exc:
                file_error = _("The file could not be read: %(reason)s.") % {"reason": exc}
                status = 400
    context = _context(editable)
    context.update(report=report, file_error=file_error)
    return render(request, "pricing/catalog.html", context, status=status)


def _context(editable: bool) -> dict:
    return {
        "editable": editable,
        "kinds": KIND_LABELS,
        "services": ServiceItem.objects.filter(active=True),
        "stock": StockLevel.objects.select_related("part", "warehouse"),
        "regions": Region.objects.all(),
        "tiers": CustomerTier.objects.all(),
    }


@login_required
def simulation(request: HttpRequest) -> HttpResponse:
    """Pick a version of the settlement pricing table and see what it would change."""
    if not may_edit_catalog(request.user):
        return render(request, "pricing/simulate.html", {"forbidden": True}, status=403)
    versions = list(simulate.draft_versions())
    context, status = {"versions": versions, "limit": 1000}, 200
    raw_version, raw_limit = request.GET.get("version"), request.GET.get("limit") or "1000"
    if raw_version:
        try:
            number, limit = int(raw_version), int(raw_limit)
        except ValueError:
            number, limit = None, None
        chosen = next((v for v in versions if v.version == number), None)
        if chosen is None or limit is None or not 1 <= limit <= simulate.MAX_CASES:
            context["error"] = _("Choose a stored version and a limit from 1 to 10000.")
            status = 400
        else:
            report = simulate.simulate(chosen, limit)
            report["shown"] = report["results"][:200]
            context.update(report=report, chosen=chosen, limit=limit)
    return render(request, "pricing/simulate.html", context, status=status)


@login_required
def statement(request: HttpRequest, ticket_ref: str) -> HttpResponse:
    """The printable statement (Chinese and English labels; a print stylesheet)."""
    if not may_edit_catalog(request.user):
        return render(request, "pricing/simulate.html", {"forbidden": True}, status=403)
    block = settlement_for(ticket_ref)
    if block is None:
        raise Http404("no settlement for this ticket")
    return render(request, "pricing/statement.html", {"s": block["settlement"], "block": block})
