"""Forms and field permissions applied to tickets: one place decides what a user may see
and write, for the HTML pages, the API, the timeline and notifications alike."""

from functools import lru_cache

from django.contrib.auth.models import User

from definitions import refdata
from definitions.models import ProcessVersion
from forms.fields import Field
from forms.permissions import AccessMap, field_access, roles_named
from forms.schema import FormDefinition, load_form
from forms.validation import ValidationResult, validate_submission
from org import queries as org_queries
from pricing.queries import part_exists, warehouse_exists
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


def task_access(user, task: HumanTask, form: FormDefinition) -> AccessMap:
    """The user's access to the fields of the task's form (a copy: the caller may change
    it). It depends only on the version's node and form, the user's roles and whether they
    may act, so it is worked out once for each of those (a version never changes)."""
    version = task.ticket.process_version
    roles = frozenset(roles_of(user))
    may_act = may_act_on_task(user, task) and task.state in ("open", "claimed")
    # The form is the cached parse (form_of): the entry keeps it, so its id stays its own.
    key = (version.id, version.content_hash, task.bpmn_id, id(form), roles, may_act)
    kept = _TASK_ACCESS.get(key)
    if kept is None or kept[0] is not form:
        if len(_TASK_ACCESS) >= _TASK_ACCESS_SIZE:
            _TASK_ACCESS.clear()
        kept = _TASK_ACCESS[key] = (form, _node_access(version, task.bpmn_id, form, roles, may_act))
    levels = kept[1]
    return AccessMap(levels, levels.mask_kinds, levels.default)


_TASK_ACCESS: dict[tuple, tuple[FormDefinition, AccessMap]] = {}
_TASK_ACCESS_SIZE = 4096


def _node_access(version, bpmn_id: str, form: FormDefinition, roles, may_act: bool) -> AccessMap:
    from bpmn import runtime
    from definitions.deploy import compiled_for

    info = runtime.node(compiled_for(version), bpmn_id)
    return field_access(
        form,
        bpmn_id,
        roles,
        node_properties=info.properties if info else {},
        may_act=may_act,
    )


def ticket_access(user, ticket: Ticket) -> AccessMap:
    """Read access over the whole ticket: per field, the most restrictive level the user
    has on any node whose form carries it (so what one step hides is hidden everywhere)."""
    return version_access(ticket.process_version, frozenset(roles_of(user)))


def version_access(version: ProcessVersion, roles: frozenset[str]) -> AccessMap:
    """Read access of a holder of ``roles`` over every ticket of ``version`` (cached: it
    depends on nothing else). Callers must not change the map."""
    return _version_access(version.id, version.content_hash, roles)


def strictest_access(version: ProcessVersion) -> AccessMap:
    """What a reader with no staff role gets (an integration, a customer): every field
    that is masked or hidden for any role is masked or hidden here too."""
    return _strictest_access(version.id, version.content_hash)


@lru_cache(maxsize=1024)
def _version_access(version_id: int, content_hash: str, roles: frozenset[str]) -> AccessMap:
    merged = AccessMap()
    version = ProcessVersion.objects.get(id=version_id)
    for bpmn_id, schema, ui, properties in _forms_of_version(version_id, content_hash):
        form = form_of(version, schema, ui)
        access = field_access(form, bpmn_id, roles, node_properties=dict(properties), may_act=False)
        _merge_stricter(merged, access)
    return merged


@lru_cache(maxsize=256)
def _strictest_access(version_id: int, content_hash: str) -> AccessMap:
    version = ProcessVersion.objects.get(id=version_id)
    named: set[str] = set()
    for bpmn_id, schema, ui, properties in _forms_of_version(version_id, content_hash):
        named |= roles_named(form_of(version, schema, ui), bpmn_id, dict(properties))
    merged = AccessMap()
    for roles in [frozenset(), *(frozenset({role}) for role in sorted(named))]:
        _merge_stricter(merged, _version_access(version_id, content_hash, roles))
    return merged


def _merge_stricter(merged: AccessMap, access: AccessMap) -> None:
    for path, level in access.items():
        if path not in merged or _RANK[level] > _RANK[merged[path]]:
            merged[path] = level
    merged.mask_kinds.update(access.mask_kinds)


@lru_cache(maxsize=256)
def _forms_of_version(
    version_id: int, content_hash: str
) -> tuple[tuple[str, str, str, tuple], ...]:
    from bpmn import runtime
    from definitions.deploy import compiled_for

    version = ProcessVersion.objects.get(id=version_id)
    compiled = compiled_for(version)
    return tuple(
        (
            info.bpmn_id,
            info.form_schema,
            info.form_ui or "",
            tuple(sorted((k, v) for k, v in info.properties.items() if k == "fieldRules")),
        )
        for info in runtime.human_nodes(compiled)
        if info.form_schema
    )


def version_fields(version: ProcessVersion) -> dict[str, Field]:
    """Field path -> its field in the template's forms (the start form's first, then the
    steps'), for showing ticket data under titles with formatted values."""
    fields: dict[str, Field] = {}
    forms = [
        form_of(version, schema, ui)
        for _b, schema, ui, _p in _forms_of_version(version.id, version.content_hash)
    ]
    start = start_form(version)
    for form in ([start] if start else []) + forms:
        for f in form.walk():
            fields.setdefault(f.path, f)
    return fields


def visible_ticket_data(user, ticket: Ticket, data: dict | None = None) -> dict:
    """The ticket's data (or `data` of one of its events) as `user` may see it: see
    tickets.visibility, which every output goes through."""
    from tickets.visibility import Reader

    view = Reader.staff(user).view(ticket)
    return view.data(ticket.data if data is None else data)


def _user_exists(username: str) -> bool:
    """An active user of that name (reference data: a saved or deleted user bumps the
    token, see org.refdata; most pickers name the same few people)."""
    return refdata.cached(
        ("active_user", username),
        lambda: User.objects.filter(username=username, is_active=True).exists(),
    )


LOOKUPS = {"user": _user_exists, "part": part_exists, "warehouse": warehouse_exists}


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
