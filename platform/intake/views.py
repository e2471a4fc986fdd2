"""The public intake form and the private tracking page (no login on either)."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from definitions.models import ProcessVersion
from forms.boundfields import ViewContext, build_views
from forms.permissions import field_access
from forms.render import parse_post
from intake.actions import WebformSubmission, do_submit_webform
from intake.forms import ContactForm, intake_categories
from intake.queries import (
    public_timeline,
    public_title,
    published_form,
    ticket_by_tracking_token,
)
from integrations import ratelimit
from tickets import actions as ticket_actions
from tickets.fields import start_form
from tickets.models import Ticket

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
                    WebformSubmission(**contact.cleaned_data_for_submission()),
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


def tracking(request, token: str):
    ticket = ticket_by_tracking_token(token)
    if ticket is None:
        raise Http404("unknown tracking link")
    context = {
        "ticket": ticket,
        "title": public_title(ticket),
        "timeline": public_timeline(ticket),
    }
    response = render(request, "intake/track.html", context)
    response["Referrer-Policy"] = "no-referrer"  # the link is the key: keep it off referrers
    response["X-Robots-Tag"] = "noindex"
    return response
