"""Forms and field permissions applied to tickets: one place decides what a user may see
and write, for the HTML pages, the API, the timeline and notifications alike."""

from functools import lru_cache

from django.contrib.auth.models import User

from definitions.models import ProcessVersion
from forms.permissions import AccessMap, field_access, visible_data
from forms.schema import FormDefinition, load_form
from forms.validation import ValidationResult, validate_submission
from org import queries as org_queries
from tickets.access import may_act_on_task
from tickets.models import HumanTask, Ticket

_RANK = {"editable": 0, "readonly": 1, "masked": 2, "hidden": 3}


def rules_file(version: ProcessVersion) -> str | None:
    name = f"{version.key}.fields.json"
    return name if name in version.files else None


@lru_cache(maxsize=512)
def _form(version_id: int, content_hash: str, schema: str, ui: str) -> FormDefinition:
    version = ProcessVersion.objects.get(id=version_id)
    return load_form(version.files, schema, ui or None, rules_file(version))


def form_of(version: ProcessVersion, schema: str, ui: str = "") -> FormDefinition:
    return _form(version.id, version.content_hash, schema, ui or "")


def task_form(task: HumanTask) -> FormDefinition | None:
    if not task.form_schema:
        return None
    return form_of(task.ticket.process_version, task.form_schema, task.form_ui)


def roles_of(user) -> list[str]:
    return sorted(org_queries.roles_of(user))


def _node_properties(task: HumanTask) -> dict:
    from bpmn import runtime
    from definitions.deploy import compiled_for

    info = runtime.node(compiled_for(task.ticket.process_version), task.bpmn_id)
    return info.properties if info else {}


def task_access(user, task: HumanTask, form: FormDefinition) -> AccessMap:
    return field_access(
        form,
        task.bpmn_id,
        roles_of(user),
        node_properties=_node_properties(task),
        may_act=may_act_on_task(user, task) and task.state in ("open", "claimed"),
    )


def ticket_access(user, ticket: Ticket) -> dict:
    """Read access over the whole ticket: per field, the most restrictive level the user
    has on any node whose form carries it (so what one step hides is hidden everywhere)."""
    merged = AccessMap()
    version = ticket.process_version
    for bpmn_id, schema, ui in _forms_of_version(version.id, version.content_hash):
        form = form_of(version, schema, ui)
        access = field_access(form, bpmn_id, roles_of(user), may_act=False)
        for path, level in access.items():
            if path not in merged or _RANK[level] > _RANK[merged[path]]:
                merged[path] = level
        merged.mask_kinds.update(access.mask_kinds)
    return merged


@lru_cache(maxsize=256)
def _forms_of_version(version_id: int, content_hash: str) -> tuple[tuple[str, str, str], ...]:
    from bpmn import runtime
    from definitions.deploy import compiled_for

    version = ProcessVersion.objects.get(id=version_id)
    compiled = compiled_for(version)
    return tuple(
        (info.bpmn_id, info.form_schema, info.form_ui or "")
        for info in runtime.human_nodes(compiled)
        if info.form_schema
    )


def field_titles(version: ProcessVersion) -> dict[str, str]:
    """Field name -> its title in the template's forms (for showing ticket data)."""
    titles = {}
    forms = [
        form_of(version, schema, ui)
        for _b, schema, ui in _forms_of_version(version.id, version.content_hash)
    ]
    start = start_form(version)
    for form in ([start] if start else []) + forms:
        for field in form.walk():
            if field.title:
                titles.setdefault(field.path, field.title)
    return titles


def visible_ticket_data(user, ticket: Ticket, data: dict | None = None) -> dict:
    access = ticket_access(user, ticket)
    return visible_data(ticket.data if data is None else data, access, kinds=access.mask_kinds)


def _user_exists(username: str) -> bool:
    return User.objects.filter(username=username, is_active=True).exists()


LOOKUPS = {"user": _user_exists}


def start_form(version: ProcessVersion) -> FormDefinition | None:
    from bpmn import runtime
    from definitions.deploy import compiled_for

    info = runtime.start_node(compiled_for(version))
    if info is not None and info.form_schema:
        return form_of(version, info.form_schema, info.form_ui or "")
    return None


def validate_start_data(user, version: ProcessVersion, submitted: dict) -> ValidationResult | None:
    """The start event's form, every field editable for whoever raises the ticket."""
    form = start_form(version)
    if form is None:
        return None
    access = field_access(form, "start", roles_of(user), may_act=True)
    return validate_submission(form, submitted, access, lookups=LOOKUPS)


def validate_task_data(user, task: HumanTask, submitted: dict) -> ValidationResult | None:
    """None when the task has no form (its data is taken as sent)."""
    form = task_form(task)
    if form is None:
        return None
    access = task_access(user, task, form)
    return validate_submission(form, submitted, access, current=task.ticket.data, lookups=LOOKUPS)
