"""Process pages of the workbench (analysts, process owners, administrators): the list of
processes, a version with its diagram, forms, decisions and scenario tests, downloads,
and new drafts from a version, a blank page or an upload."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bpmn.scenarios import CaseResult
from definitions import drafts, process_queries
from definitions.access import require_author
from definitions.bundle_files import UploadRefused, bundle_zip, read_upload
from definitions.element_names import element_labels
from definitions.models import ProcessVersion
from definitions.problem_text import problem_texts, scenario_text, scenario_titles


def _version(key: str, number: int) -> ProcessVersion:
    return get_object_or_404(
        ProcessVersion.objects.select_related("bundle", "published_by"), key=key, version=number
    )


@login_required
def process_list(request):
    require_author(request)
    return render(
        request, "definitions/process_list.html", {"processes": process_queries.process_rows()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_page(request, key: str, number: int):
    """GET shows the version; POST runs its scenario tests and shows their results."""
    require_author(request)
    version = _version(key, number)
    scenarios = process_queries.scenario_files(version)
    results: list[CaseResult] | None = None
    if request.method == "POST":
        results = drafts.run_scenarios(
            version.bpmn_filename, version.bpmn_xml, {**version.files, **scenarios}
        )
    titles = scenario_titles(drafts.scenarios_of(scenarios))
    versions = list(process_queries.versions_with_running(key))
    context = {
        "version": version,
        "versions": versions,
        "running": next((v.running for v in versions if v.id == version.id), 0),
        "forms": process_queries.forms_of(version.bpmn_filename, version.bpmn_xml, version.files),
        "decisions": process_queries.decisions_named(version.bpmn_filename, version.bpmn_xml),
        "cases": list(titles.values()),
        "results": [scenario_text(r, titles) for r in results] if results is not None else None,
        "drafts": process_queries.open_drafts(key),
        "labels": element_labels(version),
    }
    return render(request, "definitions/process_version.html", context)


@login_required
def version_bpmn(request, key: str, number: int):
    require_author(request)
    version = _version(key, number)
    response = HttpResponse(version.bpmn_xml, content_type="application/xml; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{version.bpmn_filename}"'
    return response


@login_required
def version_zip(request, key: str, number: int):
    require_author(request)
    version = _version(key, number)
    files = {**version.files, **process_queries.scenario_files(version)}
    response = HttpResponse(
        bundle_zip(version.bpmn_filename, version.bpmn_xml, files), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="{key}-v{number}.zip"'
    return response


@login_required
@require_POST
def edit_version(request, key: str, number: int):
    """A new draft that starts as a copy of this version (its files and scenarios), or
    the author's open draft of it."""
    require_author(request)
    version = _version(key, number)
    draft = drafts.open_draft_of(request.user, version)
    if draft is not None:
        return redirect("processes:draft", draft_id=draft.id)
    files = drafts.starting_files(version, process_queries.scenario_files(version))
    draft = drafts.do_create_draft(
        request.user,
        bpmn_filename=version.bpmn_filename,
        bpmn_xml=version.bpmn_xml,
        files=files,
        base_version=version,
    )
    return redirect("processes:draft", draft_id=draft.id)


@login_required
@require_http_methods(["GET", "POST"])
def new_process(request):
    """Start a new process: blank (a start event), from an existing process as its
    template, or from uploaded files."""
    require_author(request)
    processes = process_queries.process_rows()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            draft = _new_draft(request, processes)
        except UploadRefused as exc:
            errors, status = [str(exc)], 400
        except drafts.DraftRefused as exc:
            errors, status = problem_texts(exc.problems), 400
        else:
            return redirect("processes:draft", draft_id=draft.id)
    context = {"processes": processes, "errors": errors, "form": request.POST}
    return render(request, "definitions/process_new.html", context, status=status)


def _new_draft(request, processes):
    source = request.POST.get("source", "blank")
    if source == "upload":
        bpmn_filename, bpmn_xml, files = read_upload(request.FILES.getlist("files"))
        return drafts.do_create_checked_draft(
            request.user, bpmn_filename=bpmn_filename, bpmn_xml=bpmn_xml, files=files
        )
    if source == "template":
        template = next((p for p in processes if p.key == request.POST.get("template")), None)
        if template is None:
            raise drafts.DraftRefused(_("Choose the process to start from."))
        key = drafts.clean_key(request.POST.get("key", ""))
        version = _version(template.key, template.published.version)
        bpmn_xml = drafts.renamed(version.bpmn_xml, version.key, key)
        files = drafts.starting_files(version, process_queries.scenario_files(version))
        files = {drafts.renamed_scenario(n, version.key, key): t for n, t in files.items()}
        return drafts.do_create_draft(
            request.user, bpmn_filename=f"{key}.bpmn", bpmn_xml=bpmn_xml, files=files
        )
    key = drafts.clean_key(request.POST.get("key", ""))
    return drafts.do_create_draft(
        request.user, bpmn_filename=f"{key}.bpmn", bpmn_xml=drafts.blank(key), files={}
    )
