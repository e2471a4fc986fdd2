"""The analytics dashboard (supervisors and admins): charts, the same numbers in tables,
and every table as CSV (`?format=csv&table=<name>`)."""

import csv
import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from analytics import tables
from analytics.queries import PERIODS, local_today
from tickets.access import is_supervisor
from tickets.visibility import reader_for

RANGES = (7, 30, 90, 365)
MAX_DAYS = 366


class BadParams(ValueError):
    pass


def _day(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadParams(f"{name} must be a date like 2026-01-31") from None


def parse_range(params) -> tuple[dt.date, dt.date]:
    today = local_today()
    if params.get("from") or params.get("to"):
        first = _day(params.get("from") or "", "from")
        last = _day(params.get("to") or today.isoformat(), "to")
        if last < first:
            raise BadParams("to is before from")
        if (last - first).days >= MAX_DAYS:
            raise BadParams(f"a period covers at most {MAX_DAYS} days")
        return first, last
    try:
        days = int(params.get("days") or 30)
    except ValueError:
        raise BadParams("days must be a whole number") from None
    if days not in RANGES:
        raise BadParams(f"days must be one of {', '.join(map(str, RANGES))}")
    return today - dt.timedelta(days=days - 1), today


@login_required
def dashboard(request):
    if not is_supervisor(request.user):
        raise PermissionDenied("the dashboard is for supervisors and administrators")
    try:
        first, last = parse_range(request.GET)
        period = request.GET.get("period") or "day"
        if period not in PERIODS:
            raise BadParams(f"period must be one of {', '.join(PERIODS)}")
        out_format = request.GET.get("format") or "html"
        if out_format not in ("html", "csv"):
            raise BadParams("format must be html or csv")
        wanted = request.GET.get("table") if out_format == "csv" else None
        if out_format == "csv" and wanted not in tables.TABLE_NAMES:
            raise BadParams(f"table must be one of {', '.join(tables.TABLE_NAMES)}")
    except BadParams as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    built = tables.build(first, last, period, reader_for(request), only=wanted)
    if out_format == "csv":
        return _csv(built[0], first, last)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "tables": built,
            "charts": tables.chart_data(built),
            "first": first,
            "last": last,
            "period": period,
            "periods": PERIODS,
            "ranges": RANGES,
            "days": request.GET.get("days") or ("" if request.GET.get("from") else "30"),
            "query": query.urlencode(),
        },
    )


def _csv(table: "tables.Table", first: dt.date, last: dt.date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{table.name}-{first.isoformat()}-{last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese labels) only with a BOM
    writer = csv.writer(response)
    writer.writerow([str(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([cell.text for cell in row])
    return response
