"""Publish a decision draft and roll a decision back over the API (scope decisions:publish).

The same rules as the decision pages: process owners and admins only, a draft publishes only
when its test rows pass, only a retired version can be made live again."""

from ninja import Router, Schema

from definitions import authoring
from definitions.decisions import DecisionPublishError, do_rollback_decision
from definitions.models import DecisionVersion
from integrations.auth import require_scope
from integrations.errors import ApiError

router = Router(tags=["decisions"])


class DecisionVersionOut(Schema):
    decision_id: str
    version: int
    status: str
    published_at: str | None

    @staticmethod
    def resolve_published_at(obj):
        return obj.published_at.isoformat() if obj.published_at else None


class ErrorOut(Schema):
    detail: str


def _version_to_change(request, decision_id: str, number: int) -> DecisionVersion:
    if not authoring.may_author_decisions(request.user):
        raise ApiError(
            403,
            f"{request.user.username} may not publish decisions "
            "(process owners and administrators only)",
        )
    version = DecisionVersion.objects.filter(decision_id=decision_id, version=number).first()
    if version is None:
        raise ApiError(404, f"decision {decision_id} has no version {number}")
    return version


RESPONSES = {200: DecisionVersionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.post("/decisions/{decision_id}/versions/{number}/publish", response=RESPONSES)
@require_scope("decisions:publish")
def publish_decision(request, decision_id: str, number: int):
    """Make a draft the live version; refused (409) while any of its test rows fails."""
    version = _version_to_change(request, decision_id, number)
    if version.status != DecisionVersion.Status.DRAFT:
        raise ApiError(409, f"{decision_id} v{number} is {version.status}, not a draft")
    try:
        return authoring.do_publish_draft(version, request.user)
    except authoring.PublishRefused as exc:
        raise ApiError(409, f"{decision_id} v{number}: test rows fail: {exc}") from exc
    except authoring.DraftError as exc:
        raise ApiError(409, f"{decision_id} v{number} cannot be used: {exc}") from exc


@router.post("/decisions/{decision_id}/versions/{number}/rollback", response=RESPONSES)
@require_scope("decisions:publish")
def rollback_decision(request, decision_id: str, number: int):
    """Make an earlier published (now retired) version live again."""
    version = _version_to_change(request, decision_id, number)
    if version.status != DecisionVersion.Status.RETIRED:
        raise ApiError(
            409, f"{decision_id} v{number} is {version.status}: only a retired version rolls back"
        )
    try:
        return do_rollback_decision(decision_id, number, request.user)
    except DecisionPublishError as exc:
        raise ApiError(409, str(exc)) from exc
