"""Tickets from outside: the public web form and inbound e-mail.

Everything arriving here is created as the `intake` system user (inactive: nobody logs in
as it). The public form exists only for published templates (PublicForm).
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from customers.actions import do_link_customer, do_propose_link, match_customer
from customers.models import Customer
from intake.mail import InboundEmail, parse_email, ticket_number_in, ticket_number_in_address
from intake.models import PublicForm
from notify import mailing
from tickets import actions as ticket_actions
from tickets.fields import start_form
from tickets.models import Ticket
from tickets.operations import do_comment

log = logging.getLogger("flowdesk.intake")
INTAKE_USERNAME = "intake"
_DESCRIPTION_MAX = 2000  # the start forms' description limit


def intake_user() -> User:
    user, created = User.objects.get_or_create(
        username=INTAKE_USERNAME,
        defaults={"is_active": False, "first_name": "Intake", "last_name": "(system)"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def intake_process() -> str:
    return getattr(settings, "FLOWDESK_INTAKE_PROCESS", "repair")


@dataclass
class WebformSubmission:
    name: str
    phone: str
    email: str
    title: str
    description: str
    category: str = ""


def do_submit_webform(
    process_key: str, submission: WebformSubmission, extra: dict, *, channel: str
) -> Ticket:
    """A ticket from the public form, with the visitor's own contact details (name, phone,
    e-mail) in its data. The visitor is unverified: when the phone or e-mail belongs to a
    known customer, the ticket is not linked to them (so it gets neither their tier nor
    their priority, and their record is not touched); a proposed link waits for an agent
    (tickets.actions.do_confirm_customer_link). A visitor nobody knows becomes a new
    standard customer. One transaction: a rejected submission leaves nothing behind."""
    data = {
        **extra,
        "customer_name": submission.name,
        "customer_phone": submission.phone,
        "customer_email": submission.email,
        "description": submission.description[:_DESCRIPTION_MAX],
        "customer_tier": Customer.Tier.STANDARD,  # a tier comes from a confirmed customer
    }
    if submission.category:
        data["category"] = submission.category
    identity = {"name": submission.name, "phone": submission.phone, "email": submission.email}
    return _start_for_visitor(
        process_key,
        data,
        identity,
        title=submission.title or _title_from(submission.description),
        channel=channel,
    )


def _start_for_visitor(process_key: str, data: dict, identity: dict, *, title, channel) -> Ticket:
    """Start a ticket for an unverified sender: their own details in its data; a known
    customer they name gets a proposed link, never the ticket (nor a change)."""
    data = _fit(process_key, {k: v for k, v in data.items() if v not in ("", None)})
    with transaction.atomic():
        known, matched_by = match_customer(identity)
        customer = None if known else do_link_customer(identity, fill_in=False)[0]
        ticket = ticket_actions.do_start_ticket(
            intake_user(), process_key, data, title=title, channel=channel, customer=customer
        )
        if known is not None:
            do_propose_link(ticket.id, known, identity, matched_by)
    return ticket


# ---------------------------------------------------------------- publication


def do_publish_intake(user, process_key: str, *, rate_limit_per_hour: int | None = None):
    """Open /intake/<key>/ to the public (the template must be deployed)."""
    ticket_actions.latest_version(process_key)  # NotFound when nothing is deployed
    if rate_limit_per_hour is not None and rate_limit_per_hour < 1:
        raise ValueError("the hourly limit must be at least 1")
    with transaction.atomic():
        form = PublicForm.objects.select_for_update().filter(process_key=process_key).first()
        if form is None:
            form = PublicForm(process_key=process_key)
        form.enabled = True
        if rate_limit_per_hour is not None:
            form.rate_limit_per_hour = rate_limit_per_hour
        form.published_by = user if getattr(user, "is_authenticated", False) else None
        form.published_at = timezone.now()
        form.save()
    return form


def do_unpublish_intake(user, process_key: str):
    """Close /intake/<key>/ (it answers 404 from now on); tickets raised stay as they are."""
    with transaction.atomic():
        form = PublicForm.objects.select_for_update().filter(process_key=process_key).first()
        if form is None:
            raise ticket_actions.NotFound(f"the form of {process_key!r} is not published")
        form.enabled = False
        form.save(update_fields=["enabled"])
    log.info("intake form %s unpublished by %s", process_key, user)
    return form


@dataclass
class EmailOutcome:
    action: str  # "created", "commented" or "duplicate" (a Message-ID seen before)
    ticket: Ticket | None
    email: InboundEmail


class _SeenMeanwhile(Exception):
    """The same message was ingested by a concurrent call."""


def do_ingest_email(raw: bytes | str, *, process_key: str | None = None) -> EmailOutcome:
    """One inbound message, from `ingest_email`, the HTTP endpoint or the IMAP poller.

    A message whose Message-ID was seen before changes nothing. A reply is matched to its
    ticket by the Message-IDs it answers (In-Reply-To, References: ours are recorded when
    sent), then by the number in the address it was sent to (support+SV-2026-000123@…),
    then by the number in its subject, and becomes a comment with the quoted history and
    signature trimmed. Any other message raises a new ticket (channel email) for the
    sender, who is treated like a web-form visitor (a known address proposes a link, see
    do_submit_webform). The original is kept in storage, its path on the comment event."""
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    mail = parse_email(data)
    if not mail.from_address:
        raise ticket_actions.ActionError("the message has no From address")
    if mailing.seen(mail.message_id):
        return EmailOutcome("duplicate", _ticket_of_seen(mail.message_id), mail)
    original = _store_original(data)
    try:
        with transaction.atomic():
            outcome = _file(mail, original, process_key)
            if not mailing.do_record_mail(
                mail.message_id, ticket_id=outcome.ticket.id, direction="in", raw_path=original
            ):
                raise _SeenMeanwhile
    except _SeenMeanwhile:
        default_storage.delete(original)
        return EmailOutcome("duplicate", _ticket_of_seen(mail.message_id), mail)
    return outcome


def _file(mail: InboundEmail, original: str, process_key: str | None) -> EmailOutcome:
    ticket = _thread_of(mail)
    if ticket is not None:
        do_comment(
            intake_user(),
            ticket.id,
            mail.text,
            source="email",
            **{
                "from": mail.from_address,
                "subject": mail.subject,
                "message_id": mail.message_id,
                "original": original,
            },
        )
        return EmailOutcome("commented", ticket, mail)
    # A From header proves nothing either: the sender is a visitor like the web form's.
    name = mail.from_name or mail.from_address.split("@", 1)[0]
    ticket = _start_for_visitor(
        process_key or intake_process(),
        {
            "customer_name": name,
            "customer_email": mail.from_address,
            "customer_tier": Customer.Tier.STANDARD,
            "description": mail.text[:_DESCRIPTION_MAX],
        },
        {"name": name, "email": mail.from_address},
        title=mail.subject[:300] or _title_from(mail.text),
        channel=Ticket.Channel.EMAIL,
    )
    return EmailOutcome("created", ticket, mail)


def _thread_of(mail: InboundEmail) -> Ticket | None:
    ticket_id = mailing.ticket_of_message(mail.answers)
    if ticket_id is not None:
        found = Ticket.objects.filter(id=ticket_id).first()
        if found is not None:
            return found
    for number in (ticket_number_in_address(mail.recipients), ticket_number_in(mail.subject)):
        found = Ticket.objects.filter(number=number).first() if number else None
        if found is not None:
            return found
    return None


def _ticket_of_seen(message_id: str) -> Ticket | None:
    ticket_id = mailing.ticket_of_message([message_id])
    return Ticket.objects.filter(id=ticket_id).first() if ticket_id else None


def _store_original(data: bytes) -> str:
    """The raw message in Django's storage (mail/YYYY/MM/<sha256>.eml); its name."""
    digest = hashlib.sha256(data).hexdigest()
    name = f"mail/{timezone.now():%Y/%m}/{digest}.eml"
    return default_storage.save(name, ContentFile(data))


def _fit(process_key: str, data: dict) -> dict:
    """Only what the process's start form asks for (it refuses fields it does not know);
    the contact details live on the customer record either way."""
    form = start_form(ticket_actions.latest_version(process_key))
    if form is None:
        return data
    names = {f.name for f in form.fields}
    return {key: value for key, value in data.items() if key in names}


def _title_from(text: str) -> str:
    first = " ".join(text.split())[:80]
    return first or "Request"
