"""The assignment strategies. Each takes the routing situation and the rule's target and
returns a Pick, or raises Nobody when no one eligible is left: individual strategies
never pick an off-duty or over-capacity agent."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group, User

from org import queries, turns
from org.models import Department


class Nobody(Exception):
    """No eligible user; the task falls back to the group queue and the supervisor is warned."""

    def __init__(self, reason: str, group: Group | None = None):
        super().__init__(reason)
        self.reason = reason
        self.group = group


class UnknownStrategy(ValueError):
    pass


@dataclass(frozen=True)
class Situation:
    """What a strategy may look at: the task's candidates and the ticket's data."""

    groups: Sequence[Group]  # candidate groups that exist, in the order given
    users: Sequence[User]  # candidate users that exist
    data: Mapping[str, Any]
    load_of: queries.LoadOf
    skills: tuple[str, ...] = ()
    region: str = ""

    @property
    def group(self) -> Group | None:
        return self.groups[0] if self.groups else None


@dataclass(frozen=True)
class Pick:
    user: User | None = None
    group: Group | None = None
    candidates: tuple[User, ...] = field(default=())
    reason: str = ""


def _group(situation: Situation, target: str | None) -> Group:
    if not target:
        if situation.group is None:
            raise Nobody("the task has no candidate group")
        return situation.group
    group = queries.groups_named([target]).get(target)
    if group is None:
        raise Nobody(f"no group named {target!r}", situation.group)
    return group


def _only_if_eligible(situation: Situation, user: User | None, what: str, group=None) -> Pick:
    group = group or situation.group
    if user is None:
        raise Nobody(f"{what}: no such user", group)
    if not queries.eligible([user], situation.load_of):
        raise Nobody(f"{what}: {user.username} is off duty, inactive or at capacity", group)
    return Pick(user=user, group=group, reason=f"{what}: {user.username}")


def _user_named(value: Any) -> User | None:
    if isinstance(value, User):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return User.objects.filter(id=value).first()
    if isinstance(value, str) and value.strip():
        return User.objects.filter(username=value.strip()).first()
    return None


def named_user(situation: Situation, target: str | None) -> Pick:
    return _only_if_eligible(situation, _user_named(target), f"named user {target!r}")


def data_user(situation: Situation, target: str | None) -> Pick:
    """The user whose username (or id) is in the process data under the key `target`."""
    key = target or "assignee"
    value = situation.data.get(key)
    return _only_if_eligible(situation, _user_named(value), f"data[{key!r}] = {value!r}")


def group_queue(situation: Situation, target: str | None) -> Pick:
    group = _group(situation, target)
    return Pick(group=group, reason=f"queue of {group.name}")


def _department(situation: Situation, code: str | None) -> Department:
    department = Department.objects.filter(code=code or "").first()
    if department is None:
        raise Nobody(f"no department {code!r}", situation.group)
    return department


def department_head(situation: Situation, target: str | None) -> Pick:
    department = _department(situation, target)
    head = queries.department_head(department)
    return _only_if_eligible(situation, head, f"head of {department.code}")


def department_members(situation: Situation, target: str | None) -> Pick:
    department = _department(situation, target)
    users = department.members.filter(is_active=True).order_by("username")
    found = queries.eligible(users, situation.load_of)
    if not found:
        raise Nobody(f"nobody in {department.code} is on duty with capacity", situation.group)
    return Pick(
        group=situation.group,
        candidates=tuple(c.user for c in found),
        reason=f"members of {department.code}",
    )


def regional_manager(situation: Situation, target: str | None) -> Pick:
    """Threshold rules: the head of the department that manages the ticket's region."""
    region = target or situation.region
    department = queries.regional_department(region)
    if department is None:
        raise Nobody(f"no headed department manages region {region!r}", situation.group)
    return _only_if_eligible(situation, department.head, f"manager of region {region!r}")


def on_duty(situation: Situation, target: str | None) -> Pick:
    """Offer the task to the group's on-duty members with capacity (first to claim wins)."""
    group = _group(situation, target)
    found = queries.eligible(queries.members(group), situation.load_of)
    if not found:
        raise Nobody(f"nobody in {group.name} is on duty with capacity", group)
    return Pick(
        group=group, candidates=tuple(c.user for c in found), reason=f"on duty in {group.name}"
    )


def round_robin(situation: Situation, target: str | None) -> Pick:
    """Turn k of a group starts at member (k - 1) mod n (active members in username order)
    and goes to the first eligible member from there, wrapping around. The turn is taken
    atomically and without a lock held to commit (org.turns), so concurrent assignments
    take distinct turns and none waits for another."""
    group = _group(situation, target)
    members = queries.members(group)
    found = {c.user.id for c in queries.eligible(members, situation.load_of)}
    if not found:
        raise Nobody(f"nobody in {group.name} is on duty with capacity", group)
    turn = turns.take_turn(group)
    start = (turn - 1) % len(members)
    chosen = next(
        u for u in members[start:] + members[:start] if u.id in found
    )  # found is a subset of members, so one is always there
    return Pick(user=chosen, group=group, reason=f"turn {turn} in {group.name}")


def _pool(situation: Situation, target: str | None) -> tuple[list[User], Group | None]:
    """Target group's members, else every candidate group's members and candidate users."""
    if target:
        group = _group(situation, target)
        return queries.members(group), group
    users: dict[int, User] = {}
    for group in situation.groups:
        users.update((u.id, u) for u in queries.members(group))
    users.update((u.id, u) for u in situation.users if u.is_active)
    if not users:
        raise Nobody("the task has no candidates", situation.group)
    return sorted(users.values(), key=lambda u: u.username), situation.group


def least_loaded(situation: Situation, target: str | None) -> Pick:
    users, group = _pool(situation, target)
    best = queries.least_loaded(queries.eligible(users, situation.load_of))
    if best is None:
        where = group.name if group else "the candidates"
        raise Nobody(f"nobody in {where} is on duty with capacity", group)
    return Pick(user=best.user, group=group, reason=f"{best.load}/{best.capacity} open tasks")


def skill_match(situation: Situation, target: str | None) -> Pick:
    """Among the candidates, those with every required skill (the rule's target as a comma
    list, else the ticket's required skills), then the least loaded of them."""
    skills = tuple(s.strip() for s in (target or "").split(",") if s.strip()) or situation.skills
    if not skills:
        return least_loaded(situation, None)
    users, group = _pool(situation, None)
    skilled = queries.users_with_skills(users, skills)
    best = queries.least_loaded(queries.eligible(skilled, situation.load_of))
    if best is None:
        raise Nobody(f"nobody eligible has the skills {', '.join(skills)}", group)
    return Pick(
        user=best.user,
        group=group,
        reason=f"has {', '.join(skills)}; {best.load}/{best.capacity} open tasks",
    )


STRATEGIES: dict[str, Callable[[Situation, str | None], Pick]] = {
    "named_user": named_user,
    "data_user": data_user,
    "group_queue": group_queue,
    "department_head": department_head,
    "department_members": department_members,
    "regional_manager": regional_manager,
    "on_duty": on_duty,
    "round_robin": round_robin,
    "least_loaded": least_loaded,
    "skill_match": skill_match,
}


def run(strategy: str, situation: Situation, target: str | None) -> Pick:
    try:
        fn = STRATEGIES[strategy]
    except KeyError:
        known = ", ".join(STRATEGIES)
        raise UnknownStrategy(f"unknown assignment strategy {strategy!r} ({known})") from None
    return fn(situation, target)
