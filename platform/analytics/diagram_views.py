"""A template's diagram with the time spent at each step and its SLA breaches
(supervisors and administrators, like the dashboard)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from analytics.diagram import marks, step_figures, step_names
from analytics.views import BadParams, parse_range
from definitions.deploy import latest_version
from definitions.element_names import local_name
from tickets.access import is_supervisor


def _latest(request, key: str):
    if not is_supervisor(request.user):
        raise PermissionDenied(_("The dashboard is for supervisors and administrators."))
    version = latest_version(key)
    if version is None:
        raise Http404(_("No process has this key."))
    return version


@login_required
def template_page(request, key: str):
    version = _latest(request, key)
    try:
        first, last = parse_range(request.GET)
    except BadParams as exc:
        return HttpResponseBadRequest(str(exc))
    figures = sorted(step_figures(key, first, last), key=lambda f: f.bpmn_id)
    names = step_names(version.bpmn_filename, version.bpmn_xml)
    context = {
        "version": version,
        "first": first,
        "last": last,
        "query": request.GET.urlencode(),
        "rows": [(local_name(names.get(f.bpmn_id)) or f.bpmn_id, f) for f in figures],
    }
    return render(request, "analytics/template_diagram.html", context)


@login_required
def template_bpmn(request, key: str):
    version = _latest(request, key)
    return HttpResponse(version.bpmn_xml, content_type="application/xml; charset=utf-8")


@login_required
def template_marks(request, key: str):
    _latest(request, key)
    try:
        first, last = parse_range(request.GET)
    except BadParams as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse(marks(step_figures(key, first, last)))
