"""The only writers of the org. Each do_* is one transaction and takes the acting user."""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction

from org.access import require_duty_change, require_org_manager
from org.hours import HoursError, check_time_zone, parse_intervals, parse_week
from org.models import (
    AgentProfile,
    BusinessCalendar,
    CalendarException,
    Department,
    GroupProfile,
    SkillTag,
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()  # "leave this field as it is" for optional keyword arguments


def _profile(user: User) -> AgentProfile:
    AgentProfile.objects.get_or_create(user=user)
    return AgentProfile.objects.select_for_update().get(user=user)


def do_set_duty(actor: User, user: User, on_duty: bool) -> AgentProfile:
    require_duty_change(actor, user)
    with transaction.atomic():
        profile = _profile(user)
        profile.on_duty = bool(on_duty)
        profile.save(update_fields=["on_duty"])
    return profile


def do_set_capacity(actor: User, user: User, capacity: int) -> AgentProfile:
    require_org_manager(actor)
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise ValidationError(f"capacity must be a whole number >= 0, got {capacity!r}")
    with transaction.atomic():
        profile = _profile(user)
        profile.capacity = capacity
        profile.save(update_fields=["capacity"])
    return profile


def do_update_agent_profile(
    actor: User, user: User, *, region=UNSET, supervisor=UNSET, calendar=UNSET, skills=UNSET
) -> AgentProfile:
    """Region, supervisor (a User or None), calendar (or None), skills (tag codes; the
    tags must exist)."""
    require_org_manager(actor)
    with transaction.atomic():
        profile = _profile(user)
        fields = []
        for name, value in (("region", region), ("supervisor", supervisor), ("calendar", calendar)):
            if value is not UNSET:
                setattr(profile, name, value if name != "region" else (value or ""))
                fields.append(name)
        if supervisor is not UNSET and supervisor is not None and supervisor.pk == user.pk:
            raise ValidationError("an agent cannot supervise themself")
        if fields:
            profile.save(update_fields=fields)
        if skills is not UNSET:
            profile.skills.set(_skill_tags(skills))
    return profile


def _skill_tags(codes: Iterable[str]) -> list[SkillTag]:
    codes = sorted(set(codes))
    tags = list(SkillTag.objects.filter(code__in=codes))
    missing = set(codes) - {t.code for t in tags}
    if missing:
        raise ValidationError(f"unknown skill tags: {', '.join(sorted(missing))}")
    return tags


def do_save_skill(actor: User, code: str, name: str = "") -> SkillTag:
    require_org_manager(actor)
    with transaction.atomic():
        tag, _ = SkillTag.objects.update_or_create(code=code, defaults={"name": name or code})
    return tag


def do_save_department(
    actor: User,
    code: str,
    name: str,
    *,
    parent: Department | None = None,
    head: User | None = None,
    region: str = "",
) -> Department:
    """Create or update the department with this code."""
    require_org_manager(actor)
    with transaction.atomic():
        department, _ = Department.objects.select_for_update().get_or_create(
            code=code, defaults={"name": name}
        )
        node = parent
        while node is not None:
            if node.pk == department.pk:
                raise ValidationError(f"department {code!r} cannot be its own ancestor")
            node = node.parent
        department.name, department.parent, department.head = name, parent, head
        department.region = region or ""
        department.save(update_fields=["name", "parent", "head", "region"])
    return department


def do_set_department_members(actor: User, department: Department, users: Iterable[User]):
    require_org_manager(actor)
    with transaction.atomic():
        Department.objects.select_for_update().filter(pk=department.pk).exists()
        department.members.set(list(users))
    return department


def do_save_group_profile(
    actor: User, group: Group, *, supervisor=UNSET, escalation_group=UNSET, calendar=UNSET
) -> GroupProfile:
    require_org_manager(actor)
    if escalation_group is not UNSET and escalation_group is not None:
        if escalation_group.pk == group.pk:
            raise ValidationError("a group cannot escalate to itself")
    with transaction.atomic():
        GroupProfile.objects.get_or_create(group=group)
        profile = GroupProfile.objects.select_for_update().get(group=group)
        fields = []
        for name, value in (
            ("supervisor", supervisor),
            ("escalation_group", escalation_group),
            ("calendar", calendar),
        ):
            if value is not UNSET:
                setattr(profile, name, value)
                fields.append(name)
        if fields:
            profile.save(update_fields=fields)
    return profile


def do_save_calendar(
    actor: User, name: str, *, time_zone: str = "Asia/Shanghai", hours: Mapping | None = None
) -> BusinessCalendar:
    """Create or update a calendar; hours {"mon": [["09:00", "18:00"]], ...} or {} (24x7)."""
    require_org_manager(actor)
    try:
        check_time_zone(time_zone)
        parse_week(hours or {})
    except HoursError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        calendar, _ = BusinessCalendar.objects.update_or_create(
            name=name, defaults={"time_zone": time_zone, "hours": dict(hours or {})}
        )
    return calendar


def do_set_calendar_exception(
    actor: User,
    calendar: BusinessCalendar,
    date: dt.date,
    kind: str,
    *,
    hours: Iterable = (),
    name: str = "",
) -> CalendarException:
    """Mark a date a holiday or a make-up workday (调休), replacing what was there."""
    require_org_manager(actor)
    if kind not in CalendarException.Kind.values:
        raise ValidationError(f"kind must be one of {CalendarException.Kind.values}, got {kind!r}")
    hours = [list(pair) for pair in hours]
    try:
        parse_intervals(hours, str(date))
    except HoursError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        row, _ = CalendarException.objects.update_or_create(
            calendar=calendar, date=date, defaults={"kind": kind, "hours": hours, "name": name}
        )
    return row


def do_remove_calendar_exception(actor: User, calendar: BusinessCalendar, date: dt.date) -> int:
    require_org_manager(actor)
    with transaction.atomic():
        deleted, _ = CalendarException.objects.filter(calendar=calendar, date=date).delete()
    return deleted
