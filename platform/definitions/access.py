"""Who may read and edit process definitions in the workbench."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from definitions import refdata

AUTHOR_GROUPS = ("analysts", "process_owners")


def may_author_processes(user) -> bool:
    """Analysts and process owners (by group) and administrators."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or bool(roles_of(user) & set(AUTHOR_GROUPS))


def roles_of(user) -> frozenset[str]:
    """The names of the user's groups, cached under the reference token (membership
    changes bump it). The same cache entry as org.queries.roles_of, which the apps below
    org cannot import, so the navigation of every page costs no query of its own."""
    return refdata.cached(
        ("roles", user.id), lambda: frozenset(user.groups.values_list("name", flat=True))
    )


def has_permission(user, permission: str) -> bool:
    """`user.has_perm(permission)`, its permission set cached under the reference token
    (granting or revoking a permission, to the user or a group, bumps it: org.refdata)."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return permission in refdata.cached(
        ("permissions", user.id), lambda: frozenset(user.get_all_permissions())
    )


def require_author(request) -> None:
    if not may_author_processes(request.user):
        raise PermissionDenied(_("Process pages are for analysts and process owners."))
