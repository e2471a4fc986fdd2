"""Reading users' channel preferences: addresses, quiet hours, digests."""

import datetime as dt
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notify import conf
from notify.models import ChannelName, ChannelPreference

log = logging.getLogger("flowdesk.notify")


def preferences_for(users: Iterable) -> dict[int, ChannelPreference]:
    """Saved preferences by user id; users without a row get an unsaved default row."""
    users = list(users)
    saved = {p.user_id: p for p in ChannelPreference.objects.filter(user__in=users)}
    return {u.pk: saved.get(u.pk) or ChannelPreference(user=u) for u in users}


def user_address(user, pref: ChannelPreference, channel: str) -> str:
    """Where `channel` reaches `user`; "" when it cannot (in-app needs no address)."""
    if channel == ChannelName.INAPP:
        return "-"
    if channel == ChannelName.EMAIL:
        return user.email or ""
    if channel == ChannelName.SMS:
        return pref.phone
    if channel == ChannelName.WECOM:
        return pref.wecom_user_id
    return ""


def zone_of(pref: ChannelPreference) -> ZoneInfo:
    try:
        return ZoneInfo(pref.time_zone or conf.default_time_zone())
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r for user %s", pref.time_zone, pref.user_id)
        return ZoneInfo(conf.default_time_zone())


def quiet_until(pref: ChannelPreference, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet window `now` falls in (aware, UTC), or None outside quiet hours.

    The window is in the user's local time and may wrap midnight (22:00–08:00).
    """
    start, end = pref.quiet_start, pref.quiet_end
    if start is None or end is None or start == end:
        return None
    zone = zone_of(pref)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        if not start <= clock < end:
            return None
        end_date = local.date()
    else:
        if end <= clock < start:
            return None
        end_date = local.date() + dt.timedelta(days=1) if clock >= start else local.date()
    return dt.datetime.combine(end_date, end, tzinfo=zone).astimezone(dt.UTC)


def release_time(pref: ChannelPreference, now: dt.datetime) -> dt.datetime:
    """When a non-urgent push message may go out: now, or the end of quiet hours."""
    return quiet_until(pref, now) or now


# ---------------------------------------------------------------- language

SESSION_LANGUAGE = "flowdesk_language"  # the chosen language, copied in at login


def chosen_language(user) -> str:
    """The language the user chose ("" when they chose none: their browser's applies)."""
    return (
        ChannelPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
    )


def remember_language(sender, request, user, **kwargs) -> None:
    """At login, keep the chosen language in the session, so pages read it without a query."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE] = chosen_language(user)
