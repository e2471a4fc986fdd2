"""Who may read and edit process definitions in the workbench."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from definitions import refdata

AUTHOR_GROUPS = ("analysts", "process_owners")


def may_author_processes(user) -> bool:
    """Analysts and process owners (by group) and administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or bool(_roles(user) & set(AUTHOR_GROUPS))


def _roles(user) -> frozenset[str]:
    # The same cache entry as org.queries.roles_of (which this layer cannot import), so
    # the navigation of every page costs no query of its own.
    return refdata.cached(
        ("roles", user.id), lambda: frozenset(user.groups.values_list("name", flat=True))
    )


def require_author(request) -> None:
    if not may_author_processes(request.user):
        raise PermissionDenied(_("Process pages are for analysts and process owners."))
