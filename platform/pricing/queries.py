"""Read paths: the settlement block the ticket page renders."""

from pricing.models import Settlement


def settlement_for(ticket_ref: str) -> dict | None:
    """Context for ``pricing/_settlement.html`` (the ticket page includes it), or None."""
    settlement = Settlement.objects.filter(ticket_id=str(ticket_ref)).first()
    if settlement is None:
        return None
    return {
        "settlement": settlement,
        "lines": list(settlement.lines.all()),
        "schedule": list(settlement.schedule.all()),
        "version": _version_label(settlement.decision_version),
    }


def _version_label(version: str) -> str:
    if version.startswith("file:"):
        return "as shipped"
    return version
