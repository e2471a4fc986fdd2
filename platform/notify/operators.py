"""The `notify.send` service-task operator.

Parameters (evaluated by the engine from the BPMN):
    event    event type, e.g. "ticket.assigned" (required); selects the templates
    to       one recipient or a list of them (optional: without it only webhooks fire):
               "assignee"            the username in the process variable `assignee`
               "user:<username>"     that user; "group:<name>" every active member
               "<name>"              a username if one exists, else a group of that name
               "email:…", "sms:…", "wecom:…" or a bare e-mail address: a raw address
    message  inline body template (overrides the stored template)
    subject  inline subject template
    urgent   bypasses quiet hours and digests (default False)
    channels list of channels (default: those with templates for the event)
The ticket is the engine's instance id; the process data is the template context (and the
webhook payload), so processes must not put unmasked secrets there. Returns {"queued": n}.
An unknown recipient raises ValueError: the service task becomes a visible incident.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from bpmn.services import ServiceCall, register
from notify.actions import do_notify
from notify.drafts import parse_address

_ADDRESS_PREFIXES = ("email:", "sms:", "wecom:")


def _group_members(name: str) -> list:
    group = Group.objects.filter(name=name).first()
    if group is None:
        return []
    return list(group.user_set.filter(is_active=True).order_by("pk"))


def _resolve_one(name: str, data: dict[str, Any]) -> tuple[list, list[str]]:
    User = get_user_model()
    if name == "assignee":
        assignee = data.get("assignee")
        if not assignee:
            raise ValueError("notify.send to 'assignee' but the process has no `assignee`")
        name = f"user:{assignee}"
    if name.startswith(_ADDRESS_PREFIXES):
        parse_address(name)
        return [], [name]
    if name.startswith("user:"):
        user = User.objects.filter(**{User.USERNAME_FIELD: name[5:]}).first()
        if user is None:
            raise ValueError(f"notify.send: unknown user {name[5:]!r}")
        return [user], []
    if name.startswith("group:"):
        if not Group.objects.filter(name=name[6:]).exists():
            raise ValueError(f"notify.send: unknown group {name[6:]!r}")
        return _group_members(name[6:]), []
    user = User.objects.filter(**{User.USERNAME_FIELD: name}).first()
    if user is not None:
        return [user], []
    if Group.objects.filter(name=name).exists():
        return _group_members(name), []
    if "@" in name:
        return [], [name]
    raise ValueError(f"notify.send: {name!r} is neither a user, a group nor an address")


def resolve_recipients(to: Any, data: dict[str, Any]) -> tuple[list, list[str]]:
    """Users and raw addresses named by the `to` parameter."""
    names = [to] if isinstance(to, str) else list(to or [])
    users, addresses = [], []
    for name in names:
        found_users, found_addresses = _resolve_one(str(name).strip(), data)
        users += found_users
        addresses += found_addresses
    return users, addresses


@register(
    "notify.send",
    description="Queue a notification (templates per channel) to users, groups or addresses.",
    params=("event", "to", "message", "subject", "urgent", "channels"),
)
def send(params: dict[str, Any], call: ServiceCall) -> dict[str, int]:
    event = str(params.get("event") or "").strip()
    if not event:
        raise ValueError("notify.send needs an `event`")
    users, addresses = resolve_recipients(params.get("to"), call.data)
    channels = params.get("channels")
    rows = do_notify(
        event,
        ticket_id=call.instance_id,
        users=users,
        addresses=addresses,
        context=dict(call.data),
        urgent=bool(params.get("urgent", False)),
        channels=[channels] if isinstance(channels, str) else channels,
        subject=params.get("subject"),
        body=params.get("message"),
    )
    return {"queued": len(rows)}
