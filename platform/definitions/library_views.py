"""The template library in the workbench: the gallery (industry filter, descriptions, tags,
diagram previews), a template's BPMN for the viewer, and "new process from this template"."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from definitions import drafts
from definitions.access import require_author
from definitions.element_names import file_labels
from definitions.library import Template, catalog, language_of
from definitions.library_copy import do_copy_template
from definitions.problem_text import problem_texts


def _template(key: str) -> Template:
    template = catalog().get(key)
    if template is None:
        raise Http404(key)
    return template


def _card(template: Template, language: str) -> dict:
    shelf = catalog()
    return {
        "key": template.key,
        "industry": shelf.industries[template.industry][language],
        "title": template.title[language],
        "description": template.description[language],
        "tags": [shelf.tags[tag][language] for tag in template.tags],
        "labels": file_labels(template.bpmn_path),
    }


def _gallery(request, *, errors=(), copying: str = "", status: int = 200):
    language = language_of(get_language())
    shelf = catalog()
    industry = request.GET.get("industry", "")
    shown = [t for t in shelf.templates if not industry or t.industry == industry]
    context = {
        "cards": [_card(t, language) for t in shown],
        "industries": [(code, names[language]) for code, names in shelf.industries.items()],
        "industry": industry,
        "errors": list(errors),
        "copying": copying,
        "new_key": request.POST.get("key", ""),
    }
    return render(request, "definitions/library.html", context, status=status)


@login_required
@require_GET
def gallery(request):
    require_author(request)
    return _gallery(request)


@login_required
@require_GET
def template_bpmn(request, key: str):
    require_author(request)
    text = _template(key).bpmn_path.read_text(encoding="utf-8")
    return HttpResponse(text, content_type="application/xml; charset=utf-8")


@login_required
@require_POST
def copy_template(request, key: str):
    """A draft of a new process from the template, opened in the modeler."""
    require_author(request)
    template = _template(key)
    try:
        draft = do_copy_template(request.user, template, request.POST.get("key", ""))
    except drafts.DraftRefused as exc:
        return _gallery(request, errors=problem_texts(exc.problems), copying=key, status=400)
    return redirect("processes:draft", draft_id=draft.id)
