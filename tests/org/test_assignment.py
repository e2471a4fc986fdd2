"""Assignment: dmn/assignment.dmn picks the strategy, the strategy picks the handler, and
nobody off duty or at capacity is ever picked."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from definitions.decisions import do_create_decision_versions
from org import actions
from org.assignment import AssignmentRequest, Route, choose_assignee, decide_route
from org.turns import turns_taken

DMN_FILE = Path(settings.DMN_DIR) / "assignment.dmn"


@pytest.fixture
def org(org_of_the_module):
    """The organization, made once for this module's tests (see org_made_once)."""
    return org_of_the_module


def request(loads, groups=("agents",), task="accept", process="repair", **data):
    return AssignmentRequest(
        candidate_groups=groups, task=task, process_key=process, data=data, load_of=loads
    )


def off_duty(org, *names):
    for name in names:
        actions.do_set_duty(org.admin, org.people[name], False)


# ---------------------------------------------------------------- rules from the DMN file


def test_threshold_rule_sends_big_quotes_to_the_regional_manager(org, loads):
    result = choose_assignee(
        request(loads, ("finance",), "approve_quote", amount="60000.00", region="tier1")
    )
    assert result.strategy == "regional_manager"
    # ming heads "east" (tier1); lan heads the shop below it: the manager is the upper one.
    assert result.user == org.people["ming"]
    assert result.rule == 1
    assert result.decision_version.startswith("file:")
    assert not result.warn_supervisor


def test_threshold_is_strictly_greater_than_50000(org, loads):
    result = choose_assignee(
        request(loads, ("finance",), "approve_quote", amount=Decimal("50000"), region="tier1")
    )
    assert (result.strategy, result.user, result.group.name) == ("group_queue", None, "finance")
    assert result.rule == 8 and not result.warn_supervisor


def test_regional_manager_off_duty_leaves_the_quote_in_the_queue_and_warns(org, loads):
    off_duty(org, "ming")
    result = choose_assignee(
        request(loads, ("finance",), "approve_quote", amount=70000, region="tier1")
    )
    assert result.user is None and result.group.name == "finance"
    assert result.warn_supervisor and "ming" in result.reason
    none_there = choose_assignee(
        request(loads, ("finance",), "approve_quote", amount=70000, region="tier9")
    )
    assert none_there.warn_supervisor and "tier9" in none_there.reason


def test_dedicated_agent_named_in_the_data(org, loads):
    result = choose_assignee(request(loads, preferred_agent="bob"))
    assert (result.strategy, result.target, result.user) == (
        "data_user",
        "preferred_agent",
        org.people["bob"],
    )
    assert result.rule == 2


def test_dedicated_agent_off_duty_warns_the_group_supervisor(org, loads):
    off_duty(org, "bob")
    result = choose_assignee(request(loads, preferred_agent="bob"))
    assert result.user is None and result.group.name == "agents"
    assert result.warn_supervisor and result.supervisor == org.people["bob"]


def test_vip_customers_go_to_the_least_loaded_senior_agent(org, loads):
    loads.set(org.people["sam"], 3)
    loads.set(org.people["sue"], 1)
    result = choose_assignee(request(loads, customer_tier="VIP"))
    assert (result.strategy, result.target) == ("least_loaded", "senior_agents")
    assert result.user == org.people["sue"] and result.group.name == "senior_agents"


def test_safety_issues_are_offered_to_every_on_duty_dispatcher(org, loads):
    result = choose_assignee(request(loads, ("dispatchers",), category="gas leak"))
    assert result.strategy == "on_duty" and result.user is None
    assert [u.username for u in result.candidates] == ["alice", "dan"]
    off_duty(org, "dan")
    result = choose_assignee(request(loads, ("dispatchers",), category="electrical"))
    assert [u.username for u in result.candidates] == ["alice"]
    off_duty(org, "alice")
    result = choose_assignee(request(loads, ("dispatchers",), category="electrical"))
    assert result.candidates == () and result.warn_supervisor
    assert result.supervisor == org.admin


def test_complaints_go_to_the_head_of_customer_service(org, loads):
    result = choose_assignee(request(loads, process="complaint", task="handle"))
    assert (result.strategy, result.user) == ("department_head", org.people["bob"])


def test_skill_match_picks_the_least_loaded_technician_with_every_skill(org, loads):
    loads.set(org.people["tom"], 1)
    loads.set(org.people["ted"], 2)
    result = choose_assignee(
        request(loads, ("technicians",), "diagnose", required_skills=["gas", "electrical"])
    )
    assert result.strategy == "skill_match" and result.rule == 6
    assert result.user == org.people["tom"]  # tina lacks "electrical"
    loads.set(org.people["tom"], 3)
    again = choose_assignee(
        request(loads, ("technicians",), "diagnose", required_skill="gas,electrical")
    )
    assert again.user == org.people["ted"]


def test_skill_match_with_nobody_skilled_warns(org, loads):
    result = choose_assignee(
        request(loads, ("technicians",), "diagnose", required_skill="plumbing")
    )
    assert result.user is None and result.warn_supervisor
    assert result.group.name == "technicians" and "plumbing" in result.reason


def test_technicians_otherwise_least_loaded(org, loads):
    actions.do_set_capacity(org.admin, org.people["ted"], 12)
    actions.do_set_capacity(org.admin, org.people["tom"], 4)
    actions.do_set_capacity(org.admin, org.people["tina"], 4)
    loads.set(org.people["tom"], 2)  # 2/4
    loads.set(org.people["tina"], 1)  # 1/4
    loads.set(org.people["ted"], 3)  # 3/12 = 1/4: a tie with tina, broken by username
    result = choose_assignee(request(loads, ("technicians",), "repair_work"))
    assert (result.strategy, result.user) == ("least_loaded", org.people["ted"])
    loads.set(org.people["ted"], 12)  # at capacity: skipped even though capacity is large
    result = choose_assignee(request(loads, ("technicians",), "repair_work"))
    assert result.user == org.people["tina"]


def test_default_rule_is_round_robin_in_the_candidate_group(org, loads):
    picks = [choose_assignee(request(loads)).user.username for _ in range(5)]
    assert picks == ["alice", "bob", "alice", "bob", "alice"]
    assert decide_route(request(loads)).rule == 9


def test_the_decision_inputs_and_version_go_on_the_timeline(org, loads):
    route = decide_route(request(loads, ("finance",), "approve_quote", amount="60000.5"))
    assert route.verdict.inputs["Amount (金额)"] == Decimal("60000.5")
    assert route.verdict.inputs["Task (任务)"] == "approve_quote"
    detail = choose_assignee(
        request(loads, ("finance",), "approve_quote", amount="60000.5", region="tier1")
    ).as_event_detail()
    json.dumps(detail)
    assert detail["assignee"] == "ming"
    assert detail["decision"]["id"] == "assignment" and detail["decision"]["rule"] == 1


def test_a_published_version_replaces_the_file(org, loads):
    xml = DMN_FILE.read_text().replace(
        '<outputEntry id="asg_r9_o1"><text>"round_robin"</text>',
        '<outputEntry id="asg_r9_o1"><text>"group_queue"</text>',
    )
    assert xml != DMN_FILE.read_text()
    do_create_decision_versions("assignment.dmn", xml, org.admin, publish=True)
    result = choose_assignee(request(loads))
    assert (result.strategy, result.user, result.decision_version) == ("group_queue", None, "v1")


def test_no_matching_rule_leaves_the_task_in_the_queue(org, loads):
    xml = DMN_FILE.read_text()
    start = xml.index('<rule id="asg_r9">')
    xml = xml[:start] + xml[xml.index("</rule>", start) + len("</rule>") :]
    do_create_decision_versions("assignment.dmn", xml, org.admin, publish=True)
    result = choose_assignee(request(loads))
    assert (result.strategy, result.rule, result.user) == ("group_queue", None, None)
    assert result.group.name == "agents" and not result.warn_supervisor


# ---------------------------------------------------------------- each strategy, forced


def test_named_user(org, loads):
    result = choose_assignee(request(loads, ("technicians",)), Route("named_user", "tina"))
    assert result.user == org.people["tina"] and result.decision_version == ""
    missing = choose_assignee(request(loads, ("technicians",)), Route("named_user", "nobody"))
    assert missing.warn_supervisor and missing.supervisor == org.people["bob"]


def test_named_user_over_capacity_is_not_assigned(org, loads):
    actions.do_set_capacity(org.admin, org.people["tina"], 2)
    loads.set(org.people["tina"], 2)
    result = choose_assignee(request(loads, ("technicians",)), Route("named_user", "tina"))
    assert result.user is None and result.warn_supervisor and "capacity" in result.reason


def test_user_named_by_id_in_the_data(org, loads):
    tom = org.people["tom"]
    result = choose_assignee(request(loads, owner=tom.id), Route("data_user", "owner"))
    assert result.user == tom
    absent = choose_assignee(request(loads), Route("data_user", "owner"))
    assert absent.user is None and absent.warn_supervisor


def test_role_queue_of_another_group(org, loads):
    result = choose_assignee(request(loads), Route("group_queue", "finance"))
    assert (result.user, result.group.name, result.warn_supervisor) == (None, "finance", False)
    unknown = choose_assignee(request(loads), Route("group_queue", "marketing"))
    assert unknown.warn_supervisor and unknown.group.name == "agents"


def test_department_head_and_a_vacant_post(org, loads):
    assert choose_assignee(request(loads), Route("department_head", "east")).user.username == "ming"
    # "complaints" has no head: its parent's head (customer_service: bob) takes it.
    vacant = choose_assignee(request(loads), Route("department_head", "complaints"))
    assert vacant.user == org.people["bob"]
    off_duty(org, "bob")
    vacant = choose_assignee(request(loads), Route("department_head", "complaints"))
    assert vacant.user is None and vacant.warn_supervisor


def test_department_members_skip_off_duty(org, loads):
    result = choose_assignee(request(loads), Route("department_members", "complaints"))
    assert [u.username for u in result.candidates] == ["alice", "sam"] and result.user is None
    off_duty(org, "sam")
    result = choose_assignee(request(loads), Route("department_members", "complaints"))
    assert [u.username for u in result.candidates] == ["alice"]


def test_round_robin_skips_off_duty_and_full_agents_and_keeps_the_turn(org, loads):
    route = Route("round_robin", "technicians")
    turn = [choose_assignee(request(loads), route).user.username for _ in range(3)]
    assert turn == ["ted", "tina", "tom"]
    off_duty(org, "ted")
    assert choose_assignee(request(loads), route).user.username == "tina"
    actions.do_set_capacity(org.admin, org.people["tom"], 1)
    loads.set(org.people["tom"], 1)
    assert choose_assignee(request(loads), route).user.username == "tina"
    actions.do_set_duty(org.admin, org.people["ted"], True)
    assert choose_assignee(request(loads), route).user.username == "ted"
    assert turns_taken(org.groups["technicians"]) == 6


def test_nobody_eligible_goes_to_the_queue_and_warns_the_supervisor(org, loads):
    off_duty(org, "alice", "bob")
    result = choose_assignee(request(loads))
    assert result.strategy == "round_robin"
    assert (result.user, result.candidates, result.group.name) == (None, (), "agents")
    assert result.warn_supervisor and result.supervisor == org.people["bob"]
    assert result.as_event_detail()["supervisor"] == "bob"


def test_inactive_users_are_never_picked(org, loads):
    tina = org.people["tina"]
    tina.is_active = False
    tina.save(update_fields=["is_active"])
    picks = {
        choose_assignee(request(loads), Route("round_robin", "technicians")).user.username
        for _ in range(4)
    }
    assert picks == {"ted", "tom"}


def test_least_loaded_over_candidate_groups_and_users(org, loads):
    loads.set(org.people["alice"], 1)
    loads.set(org.people["bob"], 1)
    req = AssignmentRequest(
        candidate_groups=["agents"], candidate_users=["carol"], data={}, load_of=loads
    )
    assert choose_assignee(req, Route("least_loaded")).user.username == "carol"


def test_load_from_real_worklist_rows(org, repair):
    """The tickets app passes a count over open HumanTask rows; this is that query."""
    from django.db.models import Count

    from tickets.models import HumanTask, Ticket

    def open_tasks(user_ids):
        rows = (
            HumanTask.objects.filter(assignee_id__in=user_ids, state__in=("open", "claimed"))
            .values("assignee_id")
            .annotate(n=Count("id"))
        )
        return {row["assignee_id"]: row["n"] for row in rows}

    ticket = Ticket.objects.create(process_version=repair)
    for n, (name, state) in enumerate([("tom", "open"), ("tom", "claimed"), ("ted", "done")]):
        HumanTask.objects.create(
            ticket=ticket,
            engine_task_id=f"t{n}",
            bpmn_id="diagnose",
            name="Diagnose",
            assignee=org.people[name],
            state=state,
        )
    actions.do_set_capacity(org.admin, org.people["tina"], 1)
    HumanTask.objects.create(
        ticket=ticket, engine_task_id="t9", bpmn_id="x", name="x", assignee=org.people["tina"]
    )
    result = choose_assignee(request(open_tasks, ("technicians",), "repair_work"))
    assert result.user == org.people["ted"]  # tom has 2 open, tina is full, ted's is done


def test_unknown_groups_and_strategies(org, loads):
    result = choose_assignee(
        AssignmentRequest(candidate_groups=["ghosts"], load_of=loads), Route("round_robin")
    )
    assert result.warn_supervisor and result.group is None and result.supervisor is None
    with pytest.raises(ValueError, match="unknown assignment strategy"):
        choose_assignee(request(loads), Route("lottery"))
    assert not Group.objects.filter(name="ghosts").exists()
