"""The public intake form and the private tracking page (no login on either)."""

from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from definitions.models import ProcessVersion
from forms.boundfields import ViewContext, build_views
from forms.permissions import field_access
from forms.render import parse_post
from intake.actions import (
    WebformSubmission,
    do_portal_reply,
    do_rate,
    do_reopen,
    do_submit_webform,
    may_reopen,
    reopen_days,
)
from intake.forms import ContactForm, PortalLinkForm, intake_categories
from intake.portal_links import (
    do_open_portal_link,
    do_send_portal_link,
    do_text_portal_link,
    tickets_of_link,
)
from intake.queries import (
    portal_rows,
    public_thread,
    public_timeline,
    public_title,
    published_form,
    rating_of,
    status_words,
    ticket_by_tracking_token,
    waiting_for_customer,
)
from integrations import ratelimit
from pricing.queries import has_settlement, settlement_for
from tickets import actions as ticket_actions
from tickets import appointments, conversation
from tickets.fields import start_form
from tickets.models import MessageAttachment, Ticket

# Start-form fields the contact part fills in (start field -> contact field); the customer's
# tier is never the submitter's to choose.
FROM_CONTACT = {
    "customer_name": "name",
    "customer_phone": "phone",
    "customer_email": "email",
    "description": "description",
    "title": "title",
}
NEVER_ASKED = {"customer_tier"}


def client_ip(request) -> str:
    if getattr(settings, "FLOWDESK_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def _extra_fields(form) -> list:
    """The start form's fields the customer answers beyond the contact part."""
    if form is None:
        return []
    skip = set(FROM_CONTACT) | NEVER_ASKED | ({"category"} if intake_categories() else set())
    return [f for f in form.fields if f.name not in skip]


def _extra_views(form, fields, data, errors):
    if not fields:
        return []
    access = field_access(form, "start", [], may_act=True)
    ctx = ViewContext(access, errors, data, getattr(access, "mask_kinds", {}))
    return build_views(fields, data, ctx)


def _contact_errors(contact: ContactForm, errors: dict) -> dict:
    """Start-form errors about fields the contact part filled go next to those fields."""
    rest = {}
    for path, message in errors.items():
        name = FROM_CONTACT.get(path) or (path if path == "category" else None)
        if name in contact.fields:
            contact.add_error(name, message)
        else:
            rest[path] = message
    return rest


def _rate_limited(request, publication):
    """429 with a readable page when this address (per minute) or this template (per hour,
    all visitors together) has sent too many submissions; None otherwise."""
    checks = (
        (f"intake:{client_ip(request)}", ratelimit.intake_rate_per_min(), 60),
        (f"intake-form:{publication.process_key}", publication.rate_limit_per_hour, 3600),
    )
    for bucket, limit, window in checks:
        verdict = ratelimit.hit(bucket, limit, window_s=window)
        if not verdict.allowed:
            context = {"retry_after": verdict.retry_after, "minutes": -(-verdict.retry_after // 60)}
            response = render(request, "intake/limited.html", context, status=429)
            response["Retry-After"] = str(verdict.retry_after)
            return response
    return None


@csrf_exempt  # anonymous and embeddable in other sites: there is no session to protect
@xframe_options_exempt
def intake_form(request, process_key: str):
    _language(request)
    publication = published_form(process_key)
    version = ProcessVersion.objects.filter(key=process_key).order_by("-version").first()
    if publication is None or version is None:  # only published templates are public
        raise Http404("no such form")
    form = start_form(version)
    fields = _extra_fields(form)
    h5 = request.GET.get("channel") == "h5"
    channel = Ticket.Channel.H5 if h5 else Ticket.Channel.WEBFORM
    contact = ContactForm(request.POST if request.method == "POST" else None)
    extra, errors, status = {}, {}, 200
    if request.method == "POST":
        limited = _rate_limited(request, publication)
        if limited is not None:
            return limited
        if contact.is_spam:
            return render(request, "intake/rejected.html", status=400)
        names = {f.name for f in fields}
        posted = parse_post(form, request.POST) if form is not None else {}
        extra = {key: value for key, value in posted.items() if key in names}
        status = 400
        if contact.is_valid():
            try:
                ticket = do_submit_webform(
                    process_key,
                    WebformSubmission(
                        **contact.cleaned_data_for_submission(),
                        language=translation.get_language() or "",
                    ),
                    extra,
                    channel=channel,
                )
            except ticket_actions.InvalidSubmission as exc:
                errors, status = _contact_errors(contact, exc.errors), 422
            except ticket_actions.ActionError as exc:
                contact.add_error(None, str(exc))
            else:
                return render(request, "intake/done.html", {"ticket": ticket, "h5": h5})
    context = {
        "version": version,
        "contact": contact,
        "extra_views": _extra_views(form, fields, extra, errors),
        "h5": h5,
    }
    return render(request, "intake/form.html", context, status=status)


def _language(request) -> str | None:
    """`?lang=zh-hans` / `?lang=en` switches the portal's language (kept in the cookie
    LocaleMiddleware reads); without it the browser's language decides."""
    lang = request.GET.get("lang", "")
    if lang in dict(settings.LANGUAGES):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        return lang
    return None


def _private(response, lang: str | None = None):
    # The link is the key: never sent to other sites. Same-origin, not no-referrer: under
    # no-referrer Chrome sends `Origin: null` with the page's forms and CSRF refuses them.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    if lang:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, samesite="Lax")
    return response


def _ticket_or_404(token: str) -> Ticket:
    ticket = ticket_by_tracking_token(token)
    if ticket is None:
        raise Http404("unknown tracking link")
    return ticket


def _portal_limited(request):
    verdict = ratelimit.hit(f"portal:{client_ip(request)}", ratelimit.intake_rate_per_min(), 60)
    if verdict.allowed:
        return None
    context = {"retry_after": verdict.retry_after, "minutes": -(-verdict.retry_after // 60)}
    response = render(request, "intake/limited.html", context, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _customer_zone(request) -> ZoneInfo:
    """The customer's time zone: `?tz=`, else what the page's script found in the browser
    (cookie fd_tz), else the deployment's."""
    for name in (request.GET.get("tz"), request.COOKIES.get("fd_tz")):
        try:
            return ZoneInfo(unquote(str(name)))
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            continue
    return ZoneInfo(settings.TIME_ZONE)


def tracking(request, token: str, *, error: str = "", status: int = 200):
    lang = _language(request)
    ticket = _ticket_or_404(token)
    zone = _customer_zone(request)
    with timezone.override(zone):
        return _private(_tracking_page(request, ticket, token, zone, error, status), lang)


def _tracking_page(request, ticket, token, zone, error, status):
    rating = rating_of(ticket)
    context = {
        "ticket": ticket,
        "token": token,
        "title": public_title(ticket),
        "status_words": status_words(ticket),
        "timeline": public_timeline(ticket),
        "thread": public_thread(ticket),
        "waiting": ticket.status == Ticket.Status.ACTIVE and waiting_for_customer(ticket),
        "may_reply": ticket.status != Ticket.Status.CANCELLED,
        "may_rate": ticket.status == Ticket.Status.COMPLETED and rating is None,
        "rating": rating,
        "may_reopen": may_reopen(ticket),
        "reopen_days": reopen_days(),
        "reopened_as": (ticket.data or {}).get("reopened_as"),
        "has_statement": has_settlement(ticket.number),
        "max_mb": max(1, conversation.max_bytes() // (1024 * 1024)),
        "error": error,
        "lang": translation.get_language(),
        "appointment": appointments.offer_for(ticket),
        "zone": zone.key,
    }
    return render(request, "intake/track.html", context, status=status)


def _back(token: str, anchor: str = ""):
    return redirect(reverse("intake:track", args=[token]) + anchor)


def _portal_write(request, token: str, write, anchor: str = "", *, limited: bool = False):
    """A customer's action from the tracking page: `write(ticket)`, then back to `anchor`;
    a refusal is shown on the page with its status. `limited`: counts against the
    portal's rate limit (actions that send something to staff)."""
    _language(request)
    ticket = _ticket_or_404(token)
    if limited:
        refused = _portal_limited(request)
        if refused is not None:
            return refused
    try:
        write(ticket)
    except ticket_actions.ActionError as exc:
        return tracking(request, token, error=str(exc), status=exc.status)
    return _back(token, anchor)


@require_POST
def portal_reply(request, token: str):
    def reply(ticket):
        uploads = conversation.uploads_from(request.FILES.getlist("attachments"))
        do_portal_reply(ticket, request.POST.get("body", ""), uploads)

    return _portal_write(request, token, reply, "#conversation", limited=True)


def portal_attachment(request, token: str, attachment_id: int):
    """A file of a public message of this ticket, to the holder of its link (an internal
    note's file, or another ticket's, is as unknown as a wrong id)."""
    ticket = _ticket_or_404(token)
    found = MessageAttachment.objects.filter(
        id=attachment_id, message__ticket=ticket, message__visibility="public"
    ).first()
    if found is None:
        raise Http404("no such file")
    return _private(conversation.file_response(found))


def portal_statement(request, token: str):
    """The ticket's settlement statement (the quote while a draft), printable, to the holder
    of its link."""
    lang = _language(request)
    ticket = _ticket_or_404(token)
    block = settlement_for(ticket.number)
    if block is None:
        raise Http404("no statement for this ticket yet")
    context = {"s": block["settlement"], "block": block}
    return _private(render(request, "pricing/statement.html", context), lang)


@require_POST
def portal_book(request, token: str):
    slot = request.POST.get("slot", "")
    return _portal_write(
        request,
        token,
        lambda ticket: appointments.do_book_appointment(ticket.id, slot, by_customer=True),
        "#appointment",
        limited=True,
    )


@require_POST
def portal_rate(request, token: str):
    def rate(ticket):
        try:
            score = int(request.POST.get("score", ""))
        except ValueError:
            raise ticket_actions.ActionError(_("Choose from 1 to 5 stars.")) from None
        do_rate(ticket.id, score, request.POST.get("comment", "").strip())

    return _portal_write(request, token, rate, "#rating")


@require_POST
def portal_reopen(request, token: str):
    reason = request.POST.get("reason", "")
    return _portal_write(request, token, lambda ticket: do_reopen(ticket.id, reason))


def portal_link(request):
    """Ask for a link to all one's tickets by e-mail or SMS (the same answer whether or not
    the address is known)."""
    lang = _language(request)
    form = PortalLinkForm(request.POST if request.method == "POST" else None)
    sent, status = False, 200
    if request.method == "POST":
        limited = _portal_limited(request)
        if limited is not None:
            return limited
        if form.is_valid():
            base_url = request.build_absolute_uri("/")
            if form.cleaned_data["email"]:
                do_send_portal_link(form.cleaned_data["email"], base_url)
            if form.cleaned_data["phone"]:
                do_text_portal_link(form.cleaned_data["phone"], base_url)
            sent = True
        else:
            status = 400
    context = {"form": form, "sent": sent, "lang": translation.get_language()}
    return _private(render(request, "intake/portal_link.html", context, status=status), lang)


def portal_tickets(request, signed: str):
    lang = _language(request)
    try:
        link = do_open_portal_link(signed)
    except ticket_actions.ActionError as exc:
        context = {"error": str(exc), "lang": translation.get_language()}
        return _private(
            render(request, "intake/portal_tickets.html", context, status=exc.status), lang
        )
    context = {"rows": portal_rows(tickets_of_link(link)), "lang": translation.get_language()}
    return _private(render(request, "intake/portal_tickets.html", context), lang)
