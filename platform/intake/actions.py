"""Tickets from outside: the public web form and inbound e-mail.

Everything arriving here is created as the `intake` system user (inactive: nobody logs in
as it). The public form exists only for published templates (PublicForm).
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.actions import do_link_customer, do_propose_link, match_customer
from customers.models import Customer
from intake.mail import InboundEmail, parse_email, ticket_number_in, ticket_number_in_address
from intake.models import PublicForm
from notify import mailing
from tickets import actions as ticket_actions
from tickets.conversation import post_message
from tickets.engine import locked_ticket, record_event
from tickets.fields import start_form
from tickets.models import Ticket, TicketMessage, TicketRating, TicketRequester
from tickets.operations import do_comment
from tickets.titles import title_for

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
    language: str = ""  # the language the form was shown in: messages to them use it


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
        title=submission.title,
        channel=channel,
        language=submission.language,
    )


def _start_for_visitor(
    process_key: str, data: dict, identity: dict, *, title, channel, language: str = ""
) -> Ticket:
    """Start a ticket for an unverified sender: their own details in its data and, as they
    typed them, in its requester row; a known customer they name gets a proposed link,
    never the ticket (nor a change), and a different name than that customer's flags the
    requester for an agent to confirm or split."""
    title = title_for(ticket_actions.latest_version(process_key), data, title)
    data = _fit(process_key, {k: v for k, v in data.items() if v not in ("", None)})
    with transaction.atomic():
        known, matched_by = match_customer(identity)
        customer = None if known else do_link_customer(identity, fill_in=False)[0]
        ticket = ticket_actions.do_start_ticket(
            intake_user(), process_key, data, title=title, channel=channel, customer=customer
        )
        requester = TicketRequester(
            ticket=ticket,
            name=(identity.get("name") or "")[:200],
            phone=(identity.get("phone") or "")[:40],
            email=(identity.get("email") or "")[:254],
            language=language[:10],
        )
        if known is not None:
            do_propose_link(ticket.id, known, identity, matched_by)
            if _differs(known.name, requester.name):
                requester.mismatch = True
                requester.matched_customer, requester.matched_by = known, matched_by
        requester.save()
        if requester.mismatch:
            record_event(ticket, "requester_mismatch", matched_by=matched_by, customer=known.id)
    return ticket


def _differs(known_name: str, given: str) -> bool:
    def norm(text):
        return " ".join((text or "").split()).casefold()

    return bool(norm(given)) and norm(known_name) != norm(given)


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
            author_name=mail.from_name or requester_name(ticket) or mail.from_address,
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
        title=mail.subject[:300],
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


# ---------------------------------------------------------------- customer portal


def requester_name(ticket: Ticket) -> str:
    row = TicketRequester.objects.filter(ticket=ticket).first()
    if row is not None and row.name:
        return row.name
    data = ticket.data or {}
    requester = data.get("requester") if isinstance(data.get("requester"), dict) else {}
    return str(requester.get("name") or data.get("customer_name") or "")


def do_portal_reply(ticket: Ticket, body: str, uploads=()):
    """The customer writes on their tracking page: a public message by the customer; it
    resumes a step waiting for their answer (tickets.operations.do_comment)."""
    if ticket.status == Ticket.Status.CANCELLED:
        raise ticket_actions.ActionError(_("this ticket was cancelled; it takes no more replies"))
    return do_comment(
        None, ticket.id, body, source="portal", uploads=uploads, author_name=requester_name(ticket)
    )


def reopen_days() -> int:
    return int(getattr(settings, "FLOWDESK_REOPEN_DAYS", 7))


def may_reopen(ticket: Ticket, now=None) -> bool:
    if ticket.status != Ticket.Status.COMPLETED or ticket.closed_at is None:
        return False
    if ticket.data.get("reopened_as"):
        return False
    now = now or timezone.now()
    return now - ticket.closed_at <= timedelta(days=reopen_days())


def follow_up_process() -> str:
    return getattr(settings, "FLOWDESK_FOLLOW_UP_PROCESS", "follow_up")


def _tier_of(ticket: Ticket) -> str:
    if ticket.customer_id is not None:
        return ticket.customer.tier
    return str((ticket.data or {}).get("customer_tier") or Customer.Tier.STANDARD)


def _last_group(ticket: Ticket) -> str:
    """The group of the last step someone completed on the ticket (who handled it)."""
    from tickets.models import HumanTask

    task = (
        HumanTask.objects.filter(ticket=ticket, state=HumanTask.State.DONE)
        .order_by("-completed_at", "-id")
        .first()
    )
    group = task.candidate_groups.order_by("name").first() if task else None
    return group.name if group else "agents"


def _start_follow_up(ticket: Ticket, *, reason: str, group: str, note: str) -> Ticket:
    """A ticket of the small follow-up process (processes/follow_up.bpmn) linked to
    `ticket`: its one step is in `group`'s queue."""
    data = {
        "parent_ticket": ticket.number,
        "reason": reason,
        "follow_up_group": group,
        "note": note[:2000],
        "customer_name": requester_name(ticket),
    }
    return ticket_actions.do_start_ticket(
        intake_user(),
        follow_up_process(),
        data,
        title=f"{ticket.number}: {reason}",
        channel=Ticket.Channel.WEBFORM,
        customer=ticket.customer,
    )


def do_rate(ticket_id: int, score: int, comment: str = "") -> TicketRating:
    """The customer's rating of a resolved ticket, once. The `follow_up` decision
    (dmn/follow_up.dmn: score and tier -> follow_up, group) decides whether someone calls
    back (回访): then a follow-up ticket is opened for that group."""
    from org.decisions import evaluate

    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ticket_actions.ActionError(_("the rating is a whole number from 1 to 5"))
    if len(comment) > 2000:
        raise ticket_actions.ActionError(_("the comment may be at most 2000 characters"))
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        if ticket.status != Ticket.Status.COMPLETED:
            raise ticket_actions.Conflict(_("only a resolved ticket can be rated"))
        if TicketRating.objects.filter(ticket=ticket).exists():
            raise ticket_actions.Conflict(_("this ticket has been rated already"))
        rating = TicketRating.objects.create(ticket=ticket, score=score, comment=comment)
        verdict = evaluate("follow_up", "follow_up.dmn", {"score": score, "tier": _tier_of(ticket)})
        record_event(ticket, "decision", bpmn_id="", detail=verdict.as_detail())
        follow_up = None
        if verdict.outputs.get("follow_up") is True:
            group = verdict.outputs.get("group") or "agents"
            try:
                follow_up = _start_follow_up(
                    ticket, reason=f"rated {score} of 5", group=group, note=comment
                )
            except ticket_actions.NotFound as exc:  # the follow-up process is not deployed
                log.error("no follow-up for %s: %s", ticket.number, exc)
                record_event(ticket, "follow_up_not_opened", reason=str(exc), group=group)
        record_event(
            ticket,
            "rated",
            score=score,
            comment=comment,
            follow_up=follow_up.number if follow_up else None,
        )
    return rating


def do_reopen(ticket_id: int, reason: str) -> Ticket:
    """The customer reopens a resolved ticket within FLOWDESK_REOPEN_DAYS. A finished
    process cannot run again, so a follow-up ticket linked to this one is opened for the
    group that handled it last; the original keeps its history and points to it."""
    if not reason.strip():
        raise ticket_actions.ActionError(_("say what is still wrong"))
    with transaction.atomic():
        ticket = locked_ticket(ticket_id)
        if not may_reopen(ticket):
            raise ticket_actions.Conflict(
                _("a resolved ticket can be reopened within %(days)s days, once")
                % {"days": reopen_days()}
            )
        follow_up = _start_follow_up(
            ticket, reason="reopened by the customer", group=_last_group(ticket), note=reason
        )
        ticket.data = {**ticket.data, "reopened_as": follow_up.number}
        ticket.save(update_fields=["data", "updated_at"])
        record_event(ticket, "reopened", follow_up=follow_up.number)
        post_message(
            ticket,
            reason,
            author_kind=TicketMessage.AuthorKind.CUSTOMER,
            author_name=requester_name(ticket),
            visibility=TicketMessage.Visibility.PUBLIC,
            source="portal",
            event_detail={"reopened": True},
        )
    return follow_up
