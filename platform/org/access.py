"""Who may change the org: admins and supervisors; agents may set their own duty."""

from django.core.exceptions import PermissionDenied

# The same role name tickets.access uses for supervisors (org sits below tickets, so the
# name is repeated rather than imported).
ORG_MANAGERS = "supervisors"


class OrgForbidden(PermissionDenied):
    pass


def may_manage_org(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=ORG_MANAGERS).exists()


def require_org_manager(user) -> None:
    if not may_manage_org(user):
        raise OrgForbidden(f"{user} may not change the organization")


def require_duty_change(actor, user) -> None:
    """Agents switch themselves on and off duty; managers may switch anyone."""
    if getattr(actor, "pk", None) != user.pk or not actor.is_active:
        require_org_manager(actor)
