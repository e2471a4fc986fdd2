"""Decision pages for process owners: the list, a decision's versions with a readable diff,
publish and roll back, and the draft editor (dmn-js) with its test rows."""

import json
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from definitions import authoring, decision_catalogue, example_rows
from definitions.decision_diff import diff_tables
from definitions.decisions import DecisionPublishError, do_rollback_decision
from definitions.models import DecisionVersion


def _require_author(request) -> None:
    if not authoring.may_author_decisions(request.user):
        raise PermissionDenied(_("Only process owners may edit decisions."))


def _version(decision_id: str, number: int) -> DecisionVersion:
    return get_object_or_404(DecisionVersion, decision_id=decision_id, version=number)


@login_required
@require_GET
def decision_list(request):
    _require_author(request)
    return render(
        request, "definitions/decision_list.html", {"rows": decision_catalogue.decision_rows()}
    )


@login_required
@require_GET
def decision_page(request, decision_id: str):
    _require_author(request)
    versions = decision_catalogue.versions_of(decision_id)
    if not versions and not decision_catalogue.is_known(decision_id):
        raise Http404(decision_id)
    return render(
        request,
        "definitions/decision_page.html",
        {
            "decision_id": decision_id,
            "name": versions[0].name if versions else decision_id,
            "versions": versions,
            "live": next((v for v in versions if v.status == "published"), None),
            "draft": next((v for v in versions if v.status == "draft"), None),
            "history": decision_catalogue.history(decision_id),
            "compare": _comparison(request, decision_id, versions),
            "impact_url": _impact_url(decision_id),
        },
    )


def _comparison(request, decision_id: str, versions: list[DecisionVersion]) -> dict | None:
    """Two versions and their diff: as asked in ?a=&b=, else the live one and the newest."""
    numbers = [v.version for v in versions]
    if len(numbers) < 2:
        return None
    live = next((v.version for v in versions if v.status == "published"), numbers[1])
    newest = numbers[0] if numbers[0] != live else numbers[1]
    try:
        a = int(request.GET.get("a") or min(live, newest))
        b = int(request.GET.get("b") or max(live, newest))
    except ValueError:
        a, b = min(live, newest), max(live, newest)
    if a not in numbers or b not in numbers:
        return {"a": a, "b": b, "numbers": numbers, "error": True}
    older, newer = (_version(decision_id, n) for n in (a, b))
    old_spec, new_spec = authoring.spec_of(older), authoring.spec_of(newer)
    if old_spec is None or new_spec is None:
        return {"a": a, "b": b, "numbers": numbers, "error": True}
    return {"a": a, "b": b, "numbers": numbers, "diff": diff_tables(old_spec, new_spec)}


def _impact_url(decision_id: str) -> str:
    url_name = decision_catalogue.PLATFORM_USES.get(decision_id, ("", ""))[1]
    try:
        return reverse(url_name) if url_name else ""
    except NoReverseMatch:
        return ""


@login_required
@require_POST
def start_draft(request, decision_id: str):
    _require_author(request)
    try:
        draft = authoring.do_start_draft(decision_id, request.user)
    except LookupError:
        raise Http404(decision_id) from None
    return redirect("decisions:draft", decision_id=decision_id, number=draft.version)


@login_required
@require_GET
def draft_page(request, decision_id: str, number: int):
    _require_author(request)
    draft = _version(decision_id, number)
    if draft.status != DecisionVersion.Status.DRAFT:
        return redirect("decisions:detail", decision_id=decision_id)
    return _editor(request, _draft_context(draft))


def _editor(request, context: dict, status: int = 200):
    """The draft page; dmn-js sizes its columns with style attributes and its cell editor
    writes one <style> block, which carries this response's nonce."""
    nonce = secrets.token_urlsafe(16)
    context["style_nonce"] = nonce
    response = render(request, "definitions/decision_draft.html", context, status=status)
    response.csp_style_attributes, response.csp_style_nonce = True, nonce
    return response


def _draft_context(draft: DecisionVersion, **extra) -> dict:
    spec = authoring.spec_of(draft)
    inputs, outputs = example_rows.columns(spec) if spec else ([], [])
    return {
        "draft": draft,
        "inputs": inputs,
        "outputs": outputs,
        "rows": example_rows.rows_for_form(draft.test_cases or [], spec) if spec else [],
        "impact_url": _impact_url(draft.decision_id),
        **extra,
    }


@login_required
@require_GET
def version_xml(request, decision_id: str, number: int):
    _require_author(request)
    version = _version(decision_id, number)
    return HttpResponse(version.dmn_xml, content_type="application/xml; charset=utf-8")


def _posted(request) -> tuple[str, object]:
    try:
        body = json.loads(request.body)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        raise authoring.DraftError([_('Send the table as {"xml": …, "rows": […]}.')])
    return body["xml"], body.get("rows", [])


@login_required
@require_POST
def save_draft(request, decision_id: str, number: int):
    _require_author(request)
    draft = _version(decision_id, number)
    try:
        xml, rows = _posted(request)
        authoring.do_save_draft(draft, xml, rows, request.user)
    except authoring.DraftError as exc:
        return JsonResponse({"errors": exc.messages}, status=400)
    return JsonResponse({"saved": True, "message": pgettext("decisions", "Draft saved.")})


@login_required
@require_POST
def run_rows(request, decision_id: str, number: int):
    """Evaluate the table as it is in the editor (not yet saved) against the rows as typed."""
    _require_author(request)
    draft = _version(decision_id, number)
    try:
        xml, rows = _posted(request)
        compiled, cases = authoring.check_draft(draft, xml, rows)
    except authoring.DraftError as exc:
        return render(
            request, "definitions/decision_results.html", {"errors": exc.messages}, status=400
        )
    results = example_rows.run_rows(compiled.decision, cases, compiled.spec)
    return render(request, "definitions/decision_results.html", _results(results))


def _results(results: list[example_rows.RowResult]) -> dict:
    return {"results": results, "passed": sum(r.passed for r in results)}


@login_required
@require_POST
def publish(request, decision_id: str, number: int):
    _require_author(request)
    draft = _version(decision_id, number)
    if draft.status != DecisionVersion.Status.DRAFT:
        messages.error(request, _("Only a draft can be published; roll back to older versions."))
        return redirect("decisions:detail", decision_id=decision_id)
    try:
        authoring.do_publish_draft(draft, request.user)
    except authoring.PublishRefused as exc:
        context = _draft_context(draft, refused=True, **_results(exc.results))
        return _editor(request, context, status=409)
    except authoring.DraftError as exc:
        context = _draft_context(draft, errors=exc.messages)
        return _editor(request, context, status=400)
    messages.success(request, _("Version %(n)s is now live.") % {"n": draft.version})
    return redirect("decisions:detail", decision_id=decision_id)


@login_required
@require_POST
def rollback(request, decision_id: str, number: int):
    _require_author(request)
    version = _version(decision_id, number)
    if version.status != DecisionVersion.Status.RETIRED:
        messages.error(request, _("Only an earlier published version can be made live again."))
        return redirect("decisions:detail", decision_id=decision_id)
    try:
        do_rollback_decision(decision_id, number, request.user)
    except DecisionPublishError:
        messages.error(
            request,
            _("Version %(n)s fails its own test rows and was not made live.") % {"n": number},
        )
    else:
        messages.success(request, _("Version %(n)s is live again.") % {"n": number})
    return redirect("decisions:detail", decision_id=decision_id)
