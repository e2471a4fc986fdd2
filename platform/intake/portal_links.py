"""A one-time, expiring link to all of a customer's tickets, asked for on the portal by
e-mail address or mobile number and sent there (by mail, or by SMS through the
notification outbox). Nothing is sent, and nothing said, when the address has no ticket."""

import secrets

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.identity import normalize_phone
from notify.actions import do_notify
from notify.models import ChannelName
from tickets import actions as ticket_actions
from tickets.models import PortalLink, Ticket

PORTAL_LINK_SALT = "flowdesk.portal-link"
MAX_LISTED = 200


def portal_link_max_age() -> int:
    return int(getattr(settings, "FLOWDESK_PORTAL_LINK_MAX_AGE", 24 * 3600))


def tickets_of_email(email: str):
    email = email.strip().lower()
    return (
        Ticket.objects.filter(
            Q(customer__email__iexact=email)
            | Q(requester__email__iexact=email)
            | Q(data__customer_email__iexact=email)
        )
        .select_related("process_version")
        .order_by("-id")
        .distinct()
    )


def tickets_of_phone(phone: str) -> list[Ticket]:
    """The tickets whose requester or customer has this number, however it was typed
    ("139 0000 1111", "+86 139-0000-1111"): the last digits narrow it in SQL, the
    normalised number decides."""
    number = normalize_phone(phone)
    if not number:
        return []
    tail = number[-4:]
    candidates = (
        Ticket.objects.filter(
            Q(requester__phone__endswith=tail) | Q(customer__phone__endswith=tail)
        )
        .select_related("requester", "customer", "process_version")
        .order_by("-id")
        .distinct()
    )
    found = []
    for ticket in candidates:
        requester = getattr(ticket, "requester", None)
        phones = (requester.phone if requester else "", getattr(ticket.customer, "phone", ""))
        if number in {normalize_phone(p) for p in phones if p}:
            found.append(ticket)
            if len(found) == MAX_LISTED:
                break
    return found


def tickets_of_link(link: PortalLink):
    if link.phone:
        return tickets_of_phone(link.phone)
    return tickets_of_email(link.email)[:MAX_LISTED]


def _new_link(base_url: str, **address) -> tuple[str, str]:
    """(nonce, URL) of a fresh link for `email=` or `phone=`."""
    nonce = secrets.token_urlsafe(16)
    PortalLink.objects.create(nonce=nonce, **address)
    token = signing.dumps({"n": nonce}, salt=PORTAL_LINK_SALT, compress=True)
    return nonce, f"{base_url.rstrip('/')}/portal/tickets/{token}/"


def _hours() -> int:
    return max(1, portal_link_max_age() // 3600)


def do_send_portal_link(email: str, base_url: str) -> bool:
    """E-mail a one-time, expiring link to the list of this address's tickets."""
    email = email.strip().lower()
    if not tickets_of_email(email).exists():
        return False
    _nonce, link = _new_link(base_url, email=email)
    hours = _hours()
    send_mail(
        "Your service tickets / 您的服务工单",
        "Open this link to see all your tickets (it works once, for "
        f"{hours} hours):\n打开此链接查看您的全部工单（仅可使用一次，{hours} 小时内有效）：\n\n{link}\n",
        None,
        [email],
    )
    return True


def do_text_portal_link(phone: str, base_url: str) -> bool:
    """Send the link by SMS, in the language of the page it was asked on, through the
    outbox (the SMS channel, retried like any message)."""
    number = normalize_phone(phone)
    if not number or not tickets_of_phone(number):
        return False
    with transaction.atomic():
        nonce, link = _new_link(base_url, phone=number)
        text = _("Your tickets: %(link)s (the link works once, for %(hours)s hours)") % {
            "link": link,
            "hours": _hours(),
        }
        do_notify(
            "portal_link",
            addresses=[(ChannelName.SMS, number)],
            subject="",
            body=text,
            urgent=True,  # asked for this minute: no quiet hours, no digest
            webhooks=False,
            idempotency_key=f"portal-link:{nonce}",
        )
    return True


class LinkRefused(ticket_actions.ActionError):
    status = 410


def do_open_portal_link(token: str) -> PortalLink:
    """The link a token stands for (its address); the link is spent from now on."""
    try:
        payload = signing.loads(token, salt=PORTAL_LINK_SALT, max_age=portal_link_max_age())
    except signing.SignatureExpired:
        raise LinkRefused(_("this link has expired: ask for a new one")) from None
    except signing.BadSignature:
        raise ticket_actions.NotFound("unknown link") from None
    with transaction.atomic():
        link = PortalLink.objects.select_for_update().filter(nonce=payload.get("n")).first()
        if link is None:
            raise ticket_actions.NotFound("unknown link")
        if link.used_at is not None:
            raise LinkRefused(_("this link has been used already: ask for a new one"))
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return link
