"""The org writers: who may change what, and what they refuse."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from org import actions, queries
from org.models import AgentProfile, CalendarException


@pytest.fixture
def org(org_of_the_module):
    """The organization, made once for this module's tests (see org_made_once)."""
    return org_of_the_module


def test_agents_set_their_own_duty_but_not_someone_elses(org):
    alice, tom, bob = org.people["alice"], org.people["tom"], org.people["bob"]
    assert actions.do_set_duty(alice, alice, False).on_duty is False
    with pytest.raises(PermissionDenied):
        actions.do_set_duty(alice, tom, False)
    actions.do_set_duty(bob, tom, False)  # bob is a supervisor
    assert AgentProfile.objects.get(user=tom).on_duty is False
    assert queries.eligible([alice, tom, org.people["tina"]], queries.no_load)[0].user.username == (
        "tina"
    )


def test_only_managers_change_capacity_skills_and_the_tree(org):
    alice, tom = org.people["alice"], org.people["tom"]
    with pytest.raises(PermissionDenied):
        actions.do_set_capacity(alice, tom, 99)
    with pytest.raises(PermissionDenied):
        actions.do_update_agent_profile(alice, tom, skills=[])
    with pytest.raises(PermissionDenied):
        actions.do_save_department(alice, "rogue", "Rogue")
    with pytest.raises(PermissionDenied):
        actions.do_save_calendar(alice, "mine")
    assert AgentProfile.objects.get(user=tom).capacity == 10


def test_capacity_must_be_a_whole_number(org):
    for bad in (-1, 2.5, True, "3"):
        with pytest.raises(ValidationError):
            actions.do_set_capacity(org.admin, org.people["tom"], bad)
    assert actions.do_set_capacity(org.admin, org.people["tom"], 0).capacity == 0
    # Capacity 0: never picked.
    assert queries.eligible([org.people["tom"]], queries.no_load) == []


def test_unknown_skill_tags_are_refused(org):
    with pytest.raises(ValidationError, match="plumbing"):
        actions.do_update_agent_profile(org.admin, org.people["tom"], skills=["gas", "plumbing"])
    codes = AgentProfile.objects.get(user=org.people["tom"]).skills.values_list("code", flat=True)
    assert sorted(codes) == ["electrical", "gas"]


def test_profile_fields_and_supervisor(org):
    tom, bob = org.people["tom"], org.people["bob"]
    actions.do_update_agent_profile(
        org.admin, tom, region="tier2", supervisor=org.admin, calendar=org.calendar
    )
    profile = AgentProfile.objects.get(user=tom)
    assert (profile.region, profile.supervisor, profile.calendar) == (
        "tier2",
        org.admin,
        org.calendar,
    )
    # The agent's own supervisor comes before the group's.
    assert queries.supervisor_for(tom, org.groups["technicians"]) == org.admin
    assert queries.supervisor_for(None, org.groups["technicians"]) == bob
    assert queries.calendar_for(None, tom) == org.calendar
    with pytest.raises(ValidationError):
        actions.do_update_agent_profile(org.admin, tom, supervisor=tom)


def test_departments_cannot_form_a_cycle(org):
    service, east = org.departments["service"], org.departments["east"]
    with pytest.raises(ValidationError, match="ancestor"):
        actions.do_save_department(org.admin, "service", "Service", parent=east)
    service.refresh_from_db()
    assert service.parent is None
    assert [d.code for d in org.departments["east-shop"].ancestors()] == ["east", "service"]


def test_group_profile_escalation_and_calendar(org):
    dispatchers, agents = org.groups["dispatchers"], org.groups["agents"]
    with pytest.raises(ValidationError):
        actions.do_save_group_profile(org.admin, dispatchers, escalation_group=dispatchers)
    escalation = queries.escalation_for(dispatchers, org.people["dan"])
    assert (escalation.supervisor, escalation.group) == (org.admin, agents)
    assert queries.calendar_for(dispatchers) is None  # no calendar anywhere: 24x7
    actions.do_save_calendar(org.admin, "default")
    assert queries.calendar_for(dispatchers).name == "default"
    actions.do_save_group_profile(org.admin, dispatchers, calendar=org.calendar)
    assert queries.calendar_for(dispatchers) == org.calendar


def test_calendar_exceptions_are_replaced_and_removed(org):
    day = dt.date(2026, 10, 1)
    actions.do_set_calendar_exception(org.admin, org.calendar, day, "holiday")
    actions.do_set_calendar_exception(
        org.admin, org.calendar, day, "workday", hours=[["10:00", "15:00"]]
    )
    row = CalendarException.objects.get(calendar=org.calendar, date=day)
    assert (row.kind, row.hours) == ("workday", [["10:00", "15:00"]])
    with pytest.raises(ValidationError):
        actions.do_set_calendar_exception(org.admin, org.calendar, day, "vacation")
    with pytest.raises(ValidationError):
        actions.do_set_calendar_exception(
            org.admin, org.calendar, day, "workday", hours=[["15:00", "10:00"]]
        )
    assert actions.do_remove_calendar_exception(org.admin, org.calendar, day) == 1
    assert not CalendarException.objects.exists()
