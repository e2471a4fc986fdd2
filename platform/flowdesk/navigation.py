"""The workbench's navigation: each section is linked only for the people who may open it."""

from definitions.access import may_author_processes
from definitions.authoring import may_author_decisions
from pricing.actions import may_edit_catalog
from tickets.access import is_supervisor


def sections(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_analytics": is_supervisor(user),
        "nav_pricing": may_edit_catalog(user),
        "nav_processes": may_author_processes(user),
        "nav_decisions": may_author_decisions(user),
    }
