"""The service organization around the cast.

Groups: agents (alice, bob), dispatchers (alice, dan), technicians (tom, tina, ted),
senior_agents (sam, sue), finance (carol). bob supervises agents and technicians; dave
(the admin) supervises dispatchers. Departments: service (root, head wei) > east (region
tier1, head ming) > east-shop (region tier1, head lan); customer_service (head bob) >
complaints (no head). Calendar "shanghai": Asia/Shanghai, Mon-Fri 09:00-12:00 and
13:00-18:00 (8 business hours a day).
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User

from org import actions
from org.models import BusinessCalendar, Department

from ..conftest import _user, make_cast

SHANGHAI_HOURS = {
    day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}


class Loads:
    """Open tasks per user, as the tickets app's HumanTask count would report them."""

    def __init__(self):
        self.by_user: dict[int, int] = {}

    def set(self, user: User, count: int) -> None:
        self.by_user[user.id] = count

    def __call__(self, user_ids: list[int]) -> dict[int, int]:
        return {uid: self.by_user.get(uid, 0) for uid in user_ids}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Thirteen users per test: PBKDF2 would make user creation most of the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def loads():
    return Loads()


@pytest.fixture
def org(cast):
    return make_org(cast)


@pytest.fixture(scope="module")
def org_made_once(module_transaction, django_db_blocker):
    """make_org once for a module whose tests all use `db`: each test then reads it afresh
    (`org_of_the_module`) and changes it in its own savepoint, rolled back after it."""
    with django_db_blocker.unblock():
        made = make_org(make_cast())
        return sorted(made.people), made.calendar.id, made.admin.username


@pytest.fixture
def org_of_the_module(db, org_made_once):
    usernames, calendar_id, admin = org_made_once
    people = {user.username: user for user in User.objects.filter(username__in=usernames)}
    return SimpleNamespace(
        people=people,
        groups={g.name: g for g in Group.objects.all()},
        departments={d.code: d for d in Department.objects.all()},
        calendar=BusinessCalendar.objects.get(id=calendar_id),
        admin=people[admin],
    )


def make_org(cast):
    dave = cast["dave"]
    people = dict(cast)
    for name, groups in {
        "dan": ["dispatchers"],
        "tina": ["technicians"],
        "ted": ["technicians"],
        "sam": ["senior_agents"],
        "sue": ["senior_agents"],
        "wei": [],
        "ming": [],
        "lan": [],
    }.items():
        people[name] = _user(name, groups)
    groups = {g.name: g for g in Group.objects.all()}
    actions.do_save_group_profile(dave, groups["agents"], supervisor=people["bob"])
    actions.do_save_group_profile(dave, groups["technicians"], supervisor=people["bob"])
    actions.do_save_group_profile(
        dave, groups["dispatchers"], supervisor=dave, escalation_group=groups["agents"]
    )
    service = actions.do_save_department(dave, "service", "Service", head=people["wei"])
    east = actions.do_save_department(
        dave, "east", "East region", parent=service, head=people["ming"], region="tier1"
    )
    actions.do_save_department(
        dave, "east-shop", "East flagship shop", parent=east, head=people["lan"], region="tier1"
    )
    cs = actions.do_save_department(
        dave, "customer_service", "Customer service", parent=service, head=people["bob"]
    )
    complaints = actions.do_save_department(dave, "complaints", "Complaints desk", parent=cs)
    actions.do_set_department_members(dave, complaints, [people["alice"], people["sam"]])
    for code in ("gas", "electrical", "aircon"):
        actions.do_save_skill(dave, code)
    actions.do_update_agent_profile(dave, people["tom"], skills=["gas", "electrical"])
    actions.do_update_agent_profile(dave, people["tina"], skills=["gas"])
    actions.do_update_agent_profile(dave, people["ted"], skills=["gas", "electrical", "aircon"])
    calendar = actions.do_save_calendar(dave, "shanghai", hours=SHANGHAI_HOURS)
    return SimpleNamespace(
        people=people,
        groups=groups,
        departments={d.code: d for d in Department.objects.all()},
        calendar=calendar,
        admin=dave,
    )
