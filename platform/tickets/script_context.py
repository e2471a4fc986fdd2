"""What SpiffArena's script helpers (`get_current_user()`, ...) answer for a ticket, and
which process group its data stores belong to.

The engine (bpmn/spiff_helpers.py) knows nothing of users or tickets; before it runs for a
ticket, the host builds a `HostContext` here and sets it for the call.
"""

from collections.abc import Mapping
from contextlib import contextmanager

from django.conf import settings

from bpmn import datastores
from bpmn.spiff_helpers import HostContext, host_context


def user_info(user) -> dict | None:
    """A user as SpiffArena's helpers return one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "display_name": user.get_full_name() or user.username,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }


def _completed_by(ticket) -> dict[str, dict]:
    from tickets.models import HumanTask

    done = (
        HumanTask.objects.filter(ticket=ticket, state=HumanTask.State.DONE)
        .exclude(completed_by=None)
        .select_related("completed_by")
        .order_by("completed_at", "id")
    )
    completed = {task.bpmn_id: user_info(task.completed_by) for task in done}
    from tickets.engine import rows_saved_with_ticket  # engine imports this module

    for row in rows_saved_with_ticket(ticket):  # completed by the running action
        if isinstance(row, HumanTask) and row.state == HumanTask.State.DONE and row.completed_by:
            completed[row.bpmn_id] = user_info(row.completed_by)
    return completed


def _group_members() -> dict[str, list[str]]:
    from django.contrib.auth.models import User

    members: dict[str, list[str]] = {}
    pairs = User.groups.through.objects.filter(user__is_active=True)
    for group, username in pairs.values_list("group__name", "user__username").order_by("user_id"):
        members.setdefault(group, []).append(username)
    return members


def ticket_context(ticket, user) -> HostContext:
    return HostContext(
        user=user_info(user),
        initiator=user_info(ticket.created_by),
        instance_id=ticket.id,
        process_key=ticket.process_version.key,
        env=settings.FLOWDESK_ENV,
        frontend_url=settings.FLOWDESK_FRONTEND_URL,
        completed_by=_completed_by(ticket),
        group_members=_group_members(),
        timezone=settings.TIME_ZONE if settings.TIME_ZONE != "UTC" else "Asia/Shanghai",
    )


class _BundleFiles(Mapping):
    """A version's bundle files, read only when a JSON file store asks for one (most
    steps never do: the bundle row is not read on every completion)."""

    def __init__(self, version):
        self._version = version
        self._files = None

    def _loaded(self) -> dict:
        if self._files is None:
            self._files = self._version.files
        return self._files

    def __bool__(self) -> bool:  # present; its contents are read on demand
        return True

    def __getitem__(self, name: str) -> str:
        return self._loaded()[name]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


@contextmanager
def running_for_ticket(ticket, user):
    """Helpers answer for this ticket and user; built only if a script asks (no queries
    otherwise). Data stores are scoped to the ticket type's process group."""
    version = ticket.process_version
    with (
        host_context(lambda: ticket_context(ticket, user)),
        datastores.running_in(datastores.scope_for(version.key), files=_BundleFiles(version)),
    ):
        yield
