"""Read paths of the org: who is eligible for work, who supervises, which calendar applies.

Groups, members, profiles, calendars and roles are reference data: read once and cached
process-wide under the reference token (definitions.refdata; org.refdata bumps it when any
of them changes). Cached model instances are shared: callers read them, never change them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from django.contrib.auth.models import Group, User

from definitions import refdata
from org.models import DEFAULT_CAPACITY, AgentProfile, BusinessCalendar, Department, GroupProfile

# Open tasks per user id; the tickets app passes a count over HumanTask (open or claimed).
LoadOf = Callable[[list[int]], dict[int, int]]


def no_load(user_ids: list[int]) -> dict[int, int]:
    return {}


@dataclass(frozen=True)
class Candidate:
    user: User
    load: int
    capacity: int

    @property
    def utilisation(self) -> Fraction:
        return Fraction(self.load, self.capacity)


def eligible(users: Iterable[User], load_of: LoadOf) -> list[Candidate]:
    """The users who may take one more task: active, on duty and under capacity, in the
    order given. Users without an AgentProfile count as on duty with DEFAULT_CAPACITY."""
    users = [u for u in users if u.is_active]
    if not users:
        return []
    ids = [u.id for u in users]
    profiles = agent_profiles(ids)
    loads = load_of(ids) or {}
    found = []
    for user in users:
        profile = profiles.get(user.id)
        if profile is not None and not profile.on_duty:
            continue
        capacity = profile.capacity if profile is not None else DEFAULT_CAPACITY
        load = int(loads.get(user.id, 0))
        if load < capacity:
            found.append(Candidate(user, load, capacity))
    return found


def least_loaded(candidates: Iterable[Candidate]) -> Candidate | None:
    """Lowest open tasks / capacity; ties go to the username first in order."""
    return min(candidates, key=lambda c: (c.utilisation, c.user.username), default=None)


def members(group: Group) -> list[User]:
    """Active members in username order (a copy of the cached list)."""
    return list(
        refdata.cached(
            ("members", group.id),
            lambda: tuple(group.user_set.filter(is_active=True).order_by("username")),
        )
    )


def groups_named(names: Iterable[str]) -> dict[str, Group]:
    """The groups that exist among `names`, by name."""
    names = list(dict.fromkeys(names))
    found = {}
    for name in names:
        group = refdata.cached(("group", name), lambda n=name: Group.objects.filter(name=n).first())
        if group is not None:
            found[name] = group
    return found


def agent_profiles(user_ids: Iterable[int]) -> dict[int, AgentProfile]:
    """Profiles of those users that have one, by user id (one query for the uncached)."""
    ids = list(user_ids)
    every = refdata.cached(("agent_profiles",), dict)
    missing = [i for i in ids if i not in every]
    if missing:
        loaded = {
            p.user_id: p
            for p in AgentProfile.objects.filter(user_id__in=missing).select_related("supervisor")
        }
        for i in missing:
            every[i] = loaded.get(i)
    return {i: every[i] for i in ids if every[i] is not None}


def roles_of(user) -> frozenset[str]:
    """Names of the user's groups (roles)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return refdata.cached(
        ("roles", user.id),
        lambda: frozenset(user.groups.values_list("name", flat=True)),
    )


def group_ids_of(user) -> tuple[int, ...]:
    """Ids of the user's groups, sorted: a literal list lets the planner probe the
    candidate-group index per task instead of hashing every task of those groups."""
    if not getattr(user, "is_authenticated", False):
        return ()
    return refdata.cached(
        ("group_ids", user.id),
        lambda: tuple(sorted(user.groups.values_list("id", flat=True))),
    )


def users_with_skills(users: Iterable[User], skills: Iterable[str]) -> list[User]:
    """Those of `users` whose profile has every skill tag (by code)."""
    users, skills = list(users), sorted(set(skills))
    matching = {u.id for u in users}
    for code in skills:
        having = AgentProfile.objects.filter(user_id__in=matching, skills__code=code)
        matching &= set(having.values_list("user_id", flat=True))
    return [u for u in users if u.id in matching]


def department_head(department: Department) -> User | None:
    """The department's head, else the nearest ancestor's (a vacant post rolls upward)."""
    for node in (department, *department.ancestors()):
        if node.head_id is not None:
            return node.head
    return None


def regional_department(region: str) -> Department | None:
    """The department that manages a region: of those marked with it and headed, the one
    nearest the root (a regional office rather than one of its branches)."""
    if not region:
        return None
    headed = Department.objects.filter(region=region, head__isnull=False).select_related("head")
    return min(headed, key=lambda d: (len(d.ancestors()), d.code), default=None)


def group_profile(group: Group | None) -> GroupProfile | None:
    if group is None:
        return None
    return refdata.cached(
        ("group_profile", group.id),
        lambda: (
            GroupProfile.objects.filter(group=group)
            .select_related("supervisor", "escalation_group")
            .first()
        ),
    )


def supervisor_for(user: User | None = None, group: Group | None = None) -> User | None:
    """Whom to warn or escalate to: the agent's own supervisor, else the group's."""
    if user is not None:
        profile = agent_profiles([user.id]).get(user.id)
        if profile is not None and profile.supervisor is not None:
            return profile.supervisor
    profile = group_profile(group)
    return profile.supervisor if profile is not None else None


@dataclass(frozen=True)
class Escalation:
    supervisor: User | None  # reassign the task to this user at breach...
    group: Group | None  # ...or, when there is none, offer it to this group


def escalation_for(group: Group | None, assignee: User | None = None) -> Escalation:
    profile = group_profile(group)
    return Escalation(
        supervisor=supervisor_for(assignee, group),
        group=profile.escalation_group if profile is not None else None,
    )


def calendar_for(group: Group | None = None, user: User | None = None) -> BusinessCalendar | None:
    """The owning team's calendar, else the agent's, else the calendar named "default";
    None means 24x7 (the SLA clock never stops)."""
    profile = group_profile(group)
    calendar_id = profile.calendar_id if profile is not None else None
    if calendar_id is None and user is not None:
        agent = agent_profiles([user.id]).get(user.id)
        calendar_id = agent.calendar_id if agent is not None else None
    return refdata.cached(("calendar", calendar_id), lambda: _calendar(calendar_id))


def _calendar(calendar_id: int | None) -> BusinessCalendar | None:
    found = BusinessCalendar.objects.filter(id=calendar_id) if calendar_id else None
    if found is None:
        found = BusinessCalendar.objects.filter(name="default")
    return found.prefetch_related("exceptions").first()
