"""What a reader may see of a ticket: the one function every output goes through.

API and HTML ticket data, timeline event details (task data, decision inputs and outputs,
comments, reasons), incident and error messages, titles, notification texts (per
recipient), webhook payloads, search results and the customer's tracking page all call
``redact_for(reader, ticket, value)`` (or the ``TicketView`` a reader holds per ticket).

Two passes, so that a value cannot slip out under another name:

1. by key: a dict of process data (ticket data, an event's ``data``, a decision's
   ``outputs``) loses its hidden fields and has its masked fields masked (138****1234),
   exactly as ``forms.permissions.visible_data`` decides for the reader's roles;
2. by value: the values of the fields hidden or masked for this reader are looked for in
   every string (free text: comments, incident messages, rendered notification bodies,
   decision inputs keyed by label) and replaced by their masked form or ``[hidden]``.
   Phone-like values match whatever separators the text spells them with.

Readers: a staff user (their groups are their roles; an API token never widens its user's
view), or a reader with no staff role at all (an integration receiving webhooks, a customer,
an anonymous visitor), who gets the strictest view: every field masked or hidden for any
role is masked or hidden for them. Access is computed once per template version and roles
(cached), the secrets once per reader and ticket (cached on the reader, which a request
keeps for its whole duration).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forms.permissions import AccessMap, mask_value, visible_data
from tickets.fields import roles_of, strictest_access, version_access
from tickets.models import Ticket

HIDDEN = "[hidden]"
RESTRICTED = ("masked", "hidden")  # the access levels whose values are secrets
# Values shorter than this are not searched for inside free text: "tv" or "12" would
# match inside unrelated words and numbers. Such values are still removed by key and by
# exact match in decision inputs.
MIN_SCRUB_LENGTH = 4
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")
_SEPARATORS = r"[\s().+-]*"


@dataclass(eq=False)
class Reader:
    """Who reads: a staff ``user`` (roles = their groups) or nobody with a role
    (``strict``: integrations, customers, anonymous visitors)."""

    user: Any = None
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    customer_id: int | None = None
    strict: bool = False
    _views: dict[int, "TicketView"] = field(default_factory=dict, repr=False)
    _access: dict[int, AccessMap] = field(default_factory=dict, repr=False)

    @classmethod
    def staff(cls, user, scopes=()) -> "Reader":
        if user is None or not getattr(user, "is_authenticated", False):
            return cls.nobody()
        return cls(user=user, roles=frozenset(roles_of(user)), scopes=frozenset(scopes))

    @classmethod
    def integration(cls) -> "Reader":
        """A webhook subscriber: no roles, never sees a masked or hidden field in clear."""
        return cls(strict=True)

    @classmethod
    def customer(cls, customer_id: int | None = None) -> "Reader":
        return cls(customer_id=customer_id, strict=True)

    @classmethod
    def nobody(cls) -> "Reader":
        return cls(strict=True)

    def access(self, ticket: Ticket) -> AccessMap:
        # Once per template version and reader: a list of 200 tickets asks for it once.
        key = ticket.process_version_id
        if key not in self._access:
            version = ticket.process_version
            self._access[key] = (
                strictest_access(version) if self.strict else version_access(version, self.roles)
            )
        return self._access[key]

    def view_of_event(self, event) -> "TicketView":
        """The view of an event's ticket, without loading the ticket again when this
        reader has already looked at it (a timeline inside a ticket response)."""
        return self._views.get(event.ticket_id) or self.view(event.ticket)

    def prime(self, tickets) -> None:
        """Views for a page of tickets listed without their data (search, worklists): the
        data their free text is scrubbed against comes in one query, not one per row, and
        only for tickets whose template masks or hides a field from this reader (the
        others have no secret to scrub)."""
        missing = [t for t in tickets if t.id not in self._views]
        ids = [t.id for t in missing if _restricts(self.access(t))]
        data = dict(Ticket.objects.filter(id__in=ids).values_list("id", "data")) if ids else {}
        for ticket in missing:
            self._views[ticket.id] = TicketView(self.access(ticket), data.get(ticket.id) or {})

    def view(self, ticket: Ticket, extra_data: Mapping | None = None) -> "TicketView":
        """The ticket as this reader sees it (cached per ticket; `extra_data`, e.g. the live
        process data of a step not saved yet, adds its values to the secrets)."""
        if extra_data is not None:
            return TicketView(self.access(ticket), {**(ticket.data or {}), **extra_data})
        if ticket.id not in self._views:
            self._views[ticket.id] = TicketView(self.access(ticket), ticket.data or {})
        return self._views[ticket.id]


_REQUEST_ATTR = "_flowdesk_reader"


def reader_for(request) -> Reader:
    """The reader of an HTTP request, built once per request."""
    reader = getattr(request, _REQUEST_ATTR, None)
    if reader is None:
        token = getattr(request, "auth", None)
        scopes = getattr(token, "scopes", None) or ()
        reader = Reader.staff(getattr(request, "user", None), scopes)
        setattr(request, _REQUEST_ATTR, reader)
    return reader


def redact_for(reader: Reader, ticket: Ticket, value: Any, *, as_data: bool = False) -> Any:
    """`value` (a string, a dict, a list, anything JSON-like) as `reader` may see it on
    `ticket`. `as_data`: `value` is process data, so its keys are field names."""
    view = reader.view(ticket)
    return view.data(value) if as_data else view.value(value)


class TicketView:
    """One reader's view of one ticket: the access map and the secrets to look for."""

    def __init__(self, access: AccessMap, data: Mapping):
        self.access = access
        self.kinds = getattr(access, "mask_kinds", {})
        self._exact: dict[str, str] = {}
        self._replacements: dict[str, str] = {}
        patterns = []
        for value, replacement in _secrets(data, access, self.kinds):
            text = str(value).strip()
            self._exact.setdefault(text, replacement)
            if len(text) >= MIN_SCRUB_LENGTH:
                patterns.append((_pattern_of(text), text, replacement))
        patterns.sort(key=lambda p: -len(p[1]))  # the longest value wins an overlap
        self._groups = [replacement for _p, _t, replacement in patterns]
        self._pattern = (
            re.compile("|".join(f"({p})" for p, _t, _r in patterns), re.IGNORECASE)
            if patterns
            else None
        )

    @property
    def has_secrets(self) -> bool:
        return bool(self._exact)

    def text(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: self._groups[m.lastindex - 1], text)

    def value(self, value: Any, *, exact: bool = False) -> Any:
        """Every string inside `value` scrubbed; with `exact`, leaves equal to a secret
        (numbers too) are replaced whole (for values taken from the data under another
        name, such as decision inputs keyed by their label)."""
        if not self._exact:
            return value
        if isinstance(value, Mapping):
            return {key: self.value(item, exact=exact) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item, exact=exact) for item in value]
        if isinstance(value, str):
            if exact and value.strip() in self._exact:
                return self._exact[value.strip()]
            return self.text(value)
        if exact and _is_scalar(value) and str(value) in self._exact:
            return self._exact[str(value)]
        return value

    def data(self, data: Mapping | None) -> dict:
        """Process data: hidden keys removed, masked ones masked, then every string
        scrubbed (a free-text field may quote a masked one)."""
        if not data:
            return {}
        shown = visible_data(data, self.access, kinds=self.kinds)
        return self.value(shown)

    def detail(self, kind: str, detail: Mapping | None) -> dict:
        """A timeline event's detail."""
        out = {}
        for key, value in (detail or {}).items():
            if isinstance(value, Mapping) and (
                key == "data" or (kind == "decision" and key == "outputs")
            ):
                out[key] = self.data(value)
            elif kind == "decision" and key == "inputs":
                out[key] = self.value(value, exact=True)
            else:
                out[key] = self.value(value)
        return out


def _is_scalar(value: Any) -> bool:
    return value is not None and not isinstance(value, bool | Mapping | list | tuple)


def _pattern_of(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 7 and _PHONE_LIKE.match(text):
        return _SEPARATORS.join(digits)  # "138 1234-1234" is still the same number
    return re.escape(text)


def _restricts(access: Mapping) -> bool:
    """Whether `access` masks or hides anything (else no value of the data is a secret)."""
    levels = {getattr(access, "default", None), *access.values()}
    return not levels.isdisjoint(RESTRICTED)


def _secrets(data: Mapping, access: Mapping, kinds: Mapping):
    """(value, replacement) of every leaf of `data` that is masked or hidden for `access`."""
    default = getattr(access, "default", None)
    yield from _walk(data, "", access, default, kinds)


def _walk(obj, prefix, access, inherited, kinds):
    for key, value in obj.items():
        path = f"{prefix}{key}"
        yield from _leaves(value, path, access, access.get(path, inherited), kinds)


def _leaves(value, path, access, level, kinds):
    if isinstance(value, Mapping):
        yield from _walk(value, f"{path}.", access, level, kinds)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item, path, access, level, kinds)
    elif level in RESTRICTED and _is_scalar(value) and str(value).strip():
        yield value, HIDDEN if level == "hidden" else mask_value(value, kinds.get(path))


# ------------------------------------------------------------------ notifications


def notification_redaction(recipient, ticket_id: int | None, context: Mapping):
    """notify's hook (notify.rendering.set_redactor): what one recipient of a notification
    about ticket `ticket_id` may read; `recipient` None is an address or a webhook."""
    if ticket_id is None:
        return None
    ticket = Ticket.objects.select_related("process_version").filter(id=ticket_id).first()
    if ticket is None:
        return None
    reader = Reader.staff(recipient) if recipient is not None else Reader.integration()
    view = reader.view(ticket, extra_data=_plain(context))

    def redact(value: Any) -> Any:
        return view.data(value) if isinstance(value, Mapping) else view.value(value)

    return redact


def _plain(context: Mapping) -> dict:
    return {k: v for k, v in context.items() if isinstance(k, str)}
