"""Inbound e-mail over the API: a mail gateway posts the raw message."""

from django.http import HttpRequest
from ninja import Router, Schema

from intake.actions import do_ingest_email
from integrations.auth import require_scope
from tickets import actions as ticket_actions

router = Router(tags=["intake"])


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] | None = None


class EmailOutcomeOut(Schema):
    # "created" (a new ticket), "commented" (a reply to an existing one) or "duplicate"
    # (a Message-ID received before: nothing changed)
    action: str
    ticket: str | None
    ticket_id: int | None


_RAW_MESSAGE = {
    "requestBody": {
        "required": True,
        "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/intake/email",
    response={
        200: EmailOutcomeOut,
        201: EmailOutcomeOut,
        400: ErrorOut,
        404: ErrorOut,
        422: ErrorOut,
    },
    openapi_extra=_RAW_MESSAGE,
)
@require_scope("tickets:write")
def ingest_email(request: HttpRequest, process: str = ""):
    """The body is one RFC 822 message. A reply to one of our mails (In-Reply-To,
    References, support+SV-2026-000123@… or [SV-2026-000123] in the subject) adds a comment
    to that ticket (200); a Message-ID received before changes nothing (200, "duplicate");
    otherwise a new ticket is raised for the sender (201) with the process `process`
    (default: settings.FLOWDESK_INTAKE_PROCESS)."""
    if not request.body.strip():
        return 400, {"detail": "the body must be an RFC 822 message"}
    try:
        outcome = do_ingest_email(request.body, process_key=process or None)
    except ticket_actions.InvalidSubmission as exc:
        return 422, {"detail": str(exc), "errors": exc.errors}
    except ticket_actions.ActionError as exc:
        return exc.status, {"detail": str(exc)}
    body = {
        "action": outcome.action,
        "ticket": outcome.ticket.number if outcome.ticket else None,
        "ticket_id": outcome.ticket.id if outcome.ticket else None,
    }
    return (201 if outcome.action == "created" else 200), body
