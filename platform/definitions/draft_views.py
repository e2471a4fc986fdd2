"""The modeler page of a draft and the JSON it talks to: save (the server checks the
draft and answers its problems, each naming its elements), run the scenario tests,
publish as the next version, download."""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bpmn import services
from definitions import drafts
from definitions.access import require_author
from definitions.bundle_files import bundle_zip
from definitions.models import DecisionVersion, ProcessDraft
from definitions.problem_text import scenario_text, scenario_titles, with_texts


def _draft(request, draft_id: int) -> ProcessDraft:
    require_author(request)
    return get_object_or_404(ProcessDraft.objects.select_related("base_version"), id=draft_id)


def _refused(message: str, status: int = 400, problems=()) -> JsonResponse:
    return JsonResponse({"detail": message, "problems": with_texts(list(problems))}, status=status)


def _modeler_options() -> dict:
    """What the properties panel offers in its lists: decisions and service operators."""
    decision_ids = (
        DecisionVersion.objects.filter(status=DecisionVersion.Status.PUBLISHED)
        .order_by("decision_id")
        .values_list("decision_id", flat=True)
    )
    return {"decisions": list(decision_ids), "operators": services.names()}


def modeler_texts() -> dict:
    """The modeler's words, in the reader's language (%(…)s filled in by the script)."""
    return {
        "language": get_language(),
        "saving": _("Saving and checking…"),
        "saved": _("Saved. The draft has no problems."),
        "savedWithProblems": _("Saved with %(count)s problem(s); they are marked on the diagram."),
        "failed": _("That did not work; try again."),
        "cannotOpen": _("The diagram could not be opened."),
        "running": _("Running the scenario tests…"),
        "scenariosPassed": _("Every scenario test passed."),
        "scenariosFailed": _("%(count)s scenario test(s) failed."),
        "noScenarios": _("This draft has no scenario tests."),
        "publishing": _("Publishing…"),
        "published": _("Published as version %(version)s."),
        "openVersion": _("Open version %(version)s"),
        "showOnDiagram": _("Show on the diagram"),
        "line": _("line"),
        "none": _("(none)"),
        "invalidJson": _("This is not valid JSON."),
        "groupForm": _("Form (flowdesk)"),
        "groupPeople": _("Who works on it (flowdesk)"),
        "groupOperations": _("Operations and field rules (flowdesk)"),
        "groupDecision": _("Decision (flowdesk)"),
        "groupService": _("Service operator (flowdesk)"),
        "groupFlow": _("Condition (flowdesk)"),
        "formSchema": _("Form schema file"),
        "formSchemaHelp": _("A JSON Schema file of the bundle, e.g. repair-accept.schema.json"),
        "formUi": _("Form UI schema file"),
        "titleExpression": _("Ticket title expression"),
        "instructions": _("Instructions for the person doing this step"),
        "instructionsZh": _("Instructions (Chinese)"),
        "instructionsZhHelp": _("What a reader of Chinese sees instead of the instructions above."),
        "candidateGroups": _("Candidate groups"),
        "candidateUsers": _("Candidate users"),
        "listHelp": _("Separate several with commas."),
        "assignee": _("Assignee (user name or expression)"),
        "dueDate": _("Due date (expression)"),
        "operations": _("Operations"),
        "operationsHelp": _(
            'JSON: operation → groups, e.g. {"claim": ["*"], "transfer": ["agents"]}'
        ),
        "sendBackTargets": _("Steps it may send back to"),
        "approvalVariable": _("Approval variable"),
        "fieldRules": _("Field rules"),
        "fieldRulesHelp": _('JSON: field → rule → groups, e.g. {"phone": {"masked": ["finance"]}}'),
        "decision": _("Decision table"),
        "operator": _("Operator"),
        "resultVariable": _("Result variable"),
        "parameters": _("Parameters"),
        "parametersHelp": _("One per line: name = expression"),
        "condition": _("Condition expression"),
        "conditionHelp": _("Taken when true, e.g. approved == False"),
    }


@login_required
def draft_page(request, draft_id: int):
    draft = _draft(request, draft_id)
    urls = {
        "xml": reverse("processes:draft_bpmn", args=[draft.id]),
        "save": reverse("processes:draft_save", args=[draft.id]),
        "scenarios": reverse("processes:draft_scenarios", args=[draft.id]),
        "publish": reverse("processes:draft_publish", args=[draft.id]),
    }
    options = _modeler_options()
    options["decisions"] = sorted(
        set(options["decisions"]) | set(drafts.bundle_decision_ids(draft.files))
    )
    context = {
        "draft": draft,
        "urls": urls,
        "options": options,
        "problems": with_texts(draft.problems),
        "cases": list(scenario_titles(drafts.scenarios_of(draft.files)).values()),
        "texts": modeler_texts(),
    }
    return render(request, "definitions/process_modeler.html", context)


@login_required
def draft_bpmn(request, draft_id: int):
    draft = _draft(request, draft_id)
    response = HttpResponse(draft.bpmn_xml, content_type="application/xml; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{draft.bpmn_filename}"'
    return response


@login_required
def draft_zip(request, draft_id: int):
    draft = _draft(request, draft_id)
    response = HttpResponse(
        bundle_zip(draft.bpmn_filename, draft.bpmn_xml, draft.files),
        content_type="application/zip",
    )
    response["Content-Disposition"] = f'attachment; filename="{draft.key or "draft"}-draft.zip"'
    return response


def _xml_from(request) -> str:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise drafts.DraftRefused(_("The request is not JSON.")) from None
    xml = body.get("xml") if isinstance(body, dict) else None
    if not isinstance(xml, str) or not xml.strip():
        raise drafts.DraftRefused(_("The request carries no BPMN diagram."))
    return xml


@login_required
@require_POST
def draft_save(request, draft_id: int):
    draft = _draft(request, draft_id)
    try:
        draft = drafts.do_save_draft(request.user, draft.id, bpmn_xml=_xml_from(request))
    except drafts.DraftRefused as exc:
        return _refused(str(exc))
    except drafts.DraftNotPublishable as exc:
        return _refused(str(exc), status=409)
    return JsonResponse({"key": draft.key, "problems": with_texts(draft.problems)})


@login_required
@require_POST
def draft_scenarios(request, draft_id: int):
    draft = _draft(request, draft_id)
    results = drafts.run_scenarios(draft.bpmn_filename, draft.bpmn_xml, draft.files)
    titles = scenario_titles(drafts.scenarios_of(draft.files))
    lines = [scenario_text(r, titles) for r in results]
    return JsonResponse(
        {"results": [{"case": r.case, "passed": r.passed, "text": r.text} for r in lines]}
    )


@login_required
@require_POST
def draft_publish(request, draft_id: int):
    draft = _draft(request, draft_id)
    try:
        version = drafts.do_publish_draft(request.user, draft.id)
    except drafts.DraftNotPublishable as exc:
        return _refused(str(exc), status=409, problems=exc.problems)
    url = reverse("processes:version", args=[version.key, version.version])
    return JsonResponse({"version": version.version, "url": url}, status=201)
