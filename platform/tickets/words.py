"""Codes the platform stores, in words people read (translated)."""

from django.utils.translation import gettext as _

from tickets.display import humanize


def channel_name(channel: str) -> str:
    names = {
        "pc": _("the workbench"),
        "mobile": _("mobile"),
        "h5": _("the H5 form"),
        "webform": _("the web form"),
        "miniprogram": _("the mini-program"),
        "email": _("e-mail"),
        "phone": _("phone"),
        "api": _("the API"),
    }
    return names.get(channel, channel or _("unknown channel"))


def priority_name(priority) -> str:
    names = {0: _("Low"), 1: _("Normal"), 2: _("High"), 3: _("Urgent"), 4: _("VIP")}
    return names.get(priority, _("Normal") if priority is None else str(priority))


def status_name(status: str) -> str:
    names = {"active": _("In progress"), "completed": _("Closed"), "cancelled": _("Cancelled")}
    return names.get(status, humanize(status))


def tier_name(tier: str) -> str:
    names = {"standard": _("Standard"), "gold": _("Gold"), "VIP": _("VIP")}
    return names.get(tier, humanize(tier))
