"""Keep the reference-data caches honest: any change to groups, memberships, users,
their permissions, profiles, departments or calendars gives the reference token a new value
(definitions.refdata.bump) in the same transaction."""

from django.contrib.auth.models import Group, User
from django.db.models.signals import m2m_changed, post_delete, post_save

from definitions import refdata
from org.models import (
    AgentProfile,
    BusinessCalendar,
    CalendarException,
    Department,
    GroupProfile,
    SkillTag,
)

ROW_MODELS = (
    Group,
    AgentProfile,
    GroupProfile,
    BusinessCalendar,
    CalendarException,
    Department,
    SkillTag,
)
M2M = (
    User.groups.through,
    User.user_permissions.through,  # (permissions are cached too: definitions.access)
    Group.permissions.through,
    AgentProfile.skills.through,
    Department.members.through,
)


def _changed(**_kwargs) -> None:
    refdata.bump()


def _user_saved(update_fields=None, **_kwargs) -> None:
    # A login only stamps last_login: not a change of who works where.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    refdata.bump()


def _m2m_changed(action: str, **_kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        refdata.bump()


def connect() -> None:
    for model in ROW_MODELS:
        uid = f"org.refdata.{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
    post_save.connect(_user_saved, sender=User, dispatch_uid="org.refdata.user.save")
    post_delete.connect(_changed, sender=User, dispatch_uid="org.refdata.user.delete")
    from org.turns import drop_turns

    post_delete.connect(drop_turns, sender=Group, dispatch_uid="org.turns.group.delete")
    for through in M2M:
        m2m_changed.connect(
            _m2m_changed, sender=through, dispatch_uid=f"org.refdata.{through._meta.label}"
        )
