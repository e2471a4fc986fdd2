"""HumanTask's one state machine (tickets/taskstate.py): every allowed transition moves
state and holder as its rule says, every other one is refused, actors' transitions are
permission-checked, and no module but taskstate assigns a row's state or holder."""

import ast
from pathlib import Path

import pytest

from definitions.models import ProcessVersion
from tests.conftest import PROCESSES, deploy_file, make_cast, read_cast, repair_start
from tickets import actions, operations, taskstate
from tickets.errors import Conflict, Forbidden
from tickets.models import HumanTask
from tickets.taskstate import RULES, Transition

pytestmark = pytest.mark.django_db
PLATFORM = Path(__file__).resolve().parents[2] / "platform"
State = HumanTask.State
ALL_STATES = [State.OPEN, State.CLAIMED, State.DONE, State.CANCELLED]


@pytest.fixture(scope="module")
def at_diagnosis(module_transaction, django_db_blocker):
    """The cast, the repair process and its ticket at the diagnose step, made once for the
    module: each test moves the task in a savepoint of its own, rolled back after it."""
    with django_db_blocker.unblock():
        people = make_cast()
        deploy_file(PROCESSES / "repair.bpmn")
        _diagnose_task(people)


@pytest.fixture
def cast(db, at_diagnosis):
    """The module's cast, read afresh for each test."""
    return read_cast()


@pytest.fixture
def repair(db, at_diagnosis):
    return ProcessVersion.objects.get(key="repair")


def diagnose_task(cast):
    """The repair ticket at its diagnose step, held by tom (the only technician), as the
    module made it."""
    task = HumanTask.objects.select_related("ticket").filter(bpmn_id="diagnose").earliest("id")
    assert (task.state, task.assignee_id) == (State.CLAIMED, cast["tom"].id)  # as made
    return task


def _diagnose_task(cast):
    ticket = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    accept = ticket.tasks.get(state__in=actions.OPEN_STATES)
    ticket = actions.do_complete_task(cast["alice"], accept.id, {"accepted": True})
    schedule = ticket.tasks.get(state__in=actions.OPEN_STATES)
    data = {"visit_date": "2026-11-24", "technician": "tom"}
    ticket = actions.do_complete_task(cast["alice"], schedule.id, data)
    return ticket.tasks.select_related("ticket").get(state__in=actions.OPEN_STATES)


def put_in(task, state, assignee):
    """Arrange a row's state for the test (the database, not the code under test)."""
    HumanTask.objects.filter(id=task.id).update(state=state, assignee=assignee)
    return HumanTask.objects.select_related("ticket").get(id=task.id)


def holder_for(transition, cast):
    return cast["alice"] if transition in (Transition.TRANSFER_TO_USER,) else None


EXPECTED = {  # transition -> (state after, holder after: "actor", "alice", None, "kept")
    Transition.CLAIM: (State.CLAIMED, "actor"),
    Transition.RELEASE: (State.OPEN, None),
    Transition.TRANSFER_TO_USER: (State.CLAIMED, "alice"),
    Transition.TRANSFER_TO_GROUP: (State.OPEN, None),
    Transition.ESCALATE_TO_USER: (State.CLAIMED, "alice"),
    Transition.ESCALATE_TO_GROUP: (State.OPEN, None),
    Transition.COMPLETE: (State.DONE, "kept_or_actor"),
    Transition.SEND_BACK: (State.CANCELLED, "kept"),
    Transition.CANCEL: (State.CANCELLED, "kept"),
    Transition.REOPEN: (State.CLAIMED, "kept"),
}


def test_the_table_declares_every_transition():
    assert set(RULES) == set(Transition) == set(EXPECTED)


@pytest.mark.parametrize("transition", list(Transition))
@pytest.mark.parametrize("state", ALL_STATES)
def test_each_transition_from_each_state(cast, repair, transition, state):
    """bob (a supervisor) may take every actor's transition; whether it is allowed then
    depends on the source state alone."""
    task = diagnose_task(cast)
    holder = None if state == State.OPEN else cast["tom"]
    task = put_in(task, state, holder)
    rule = RULES[transition]
    actor = cast["bob"] if rule.who else None
    given = cast["alice"] if rule.holder == "given" else taskstate._KEEP  # noqa: SLF001
    if state not in rule.sources:
        with pytest.raises(Conflict):
            taskstate.apply(task, transition, actor=actor, assignee=given)
        assert HumanTask.objects.get(id=task.id).state == state  # nothing written
        return
    taskstate.apply(task, transition, actor=actor, assignee=given)
    saved = HumanTask.objects.get(id=task.id)
    expected_state, expected_holder = EXPECTED[transition]
    if transition is Transition.REOPEN and holder is None:
        expected_state = State.OPEN
    assert saved.state == task.state == expected_state
    wanted = {
        "actor": actor,
        "alice": cast["alice"],
        None: None,
        "kept": holder,
        "kept_or_actor": holder or actor,
    }[expected_holder]
    assert saved.assignee_id == (wanted.id if wanted else None)
    if transition is Transition.COMPLETE:
        assert saved.completed_by_id == actor.id and saved.completed_at is not None


def test_reopen_takes_the_routed_holder(cast, repair):
    task = put_in(diagnose_task(cast), State.DONE, cast["tom"])
    taskstate.apply(task, Transition.REOPEN, assignee=cast["alice"])
    saved = HumanTask.objects.get(id=task.id)
    assert (saved.state, saved.assignee_id, saved.completed_at) == (
        State.CLAIMED,
        cast["alice"].id,
        None,
    )


@pytest.mark.parametrize(
    "transition",
    [t for t, rule in RULES.items() if rule.who],
)
def test_actors_transitions_refuse_who_may_not(cast, repair, transition):
    """carol (finance) has no part in the diagnose step: every actor's transition on it
    is refused, and the row stays as it was."""
    task = diagnose_task(cast)
    if transition is Transition.CLAIM:
        task = put_in(task, State.OPEN, None)
    before = (task.state, task.assignee_id)
    given = cast["alice"] if RULES[transition].holder == "given" else taskstate._KEEP  # noqa: SLF001
    with pytest.raises(Forbidden):
        taskstate.apply(task, transition, actor=cast["carol"], assignee=given)
    saved = HumanTask.objects.get(id=task.id)
    assert (saved.state, saved.assignee_id) == before


def test_release_is_for_the_holder_or_a_supervisor(cast, repair):
    task = diagnose_task(cast)  # held by tom
    task = put_in(task, State.CLAIMED, cast["alice"])
    with pytest.raises(Forbidden):  # tom is no longer its holder
        taskstate.authorize(task, Transition.RELEASE, cast["tom"])
    taskstate.apply(task, Transition.RELEASE, actor=cast["bob"])
    assert HumanTask.objects.get(id=task.id).assignee_id is None


def test_system_transitions_need_no_actor_but_actors_do(cast, repair):
    task = diagnose_task(cast)
    with pytest.raises(Forbidden):
        taskstate.authorize(task, Transition.COMPLETE)  # nobody signed in
    with pytest.raises(ValueError):  # an escalation to a user names the user
        taskstate.apply(task, Transition.ESCALATE_TO_USER)


def test_claim_is_won_once(cast, repair):
    task = put_in(diagnose_task(cast), State.OPEN, None)
    claimed = actions.do_claim_task(cast["tom"], task.id)
    assert claimed.state == State.CLAIMED and claimed.assignee_id == cast["tom"].id
    stale = put_in(task, State.OPEN, None)
    HumanTask.objects.filter(id=task.id).update(state=State.CLAIMED, assignee=cast["bob"])
    with pytest.raises(Conflict):  # the conditional UPDATE lost the race
        taskstate.claim(stale, cast["tom"])


def test_bulk_cancel_leaves_rows_closed_meanwhile(cast, repair):
    task = diagnose_task(cast)
    stale = HumanTask.objects.get(id=task.id)  # read while open
    put_in(task, State.DONE, cast["tom"])
    taskstate.cancel_rows([stale])
    assert HumanTask.objects.get(id=task.id).state == State.DONE  # the WHERE clause held
    assert taskstate.cancel_open(HumanTask.objects.filter(id=task.id)) == 0


def test_the_operations_go_through_the_state_machine(cast, repair):
    """release, transfer and send back refuse a closed row as a Conflict."""
    task = put_in(diagnose_task(cast), State.DONE, cast["tom"])
    for call in (
        lambda: operations.do_release(cast["bob"], task.id),
        lambda: operations.do_transfer(cast["bob"], task.id, to_user="alice"),
        lambda: operations.do_send_back(cast["bob"], task.id, "schedule_visit", "redo"),
    ):
        with pytest.raises(Conflict):
            call()


# --- no module but taskstate assigns a HumanTask's state or holder

FIELDS = {"state", "assignee", "assignee_id"}
# Other objects' fields in modules that also work with tasks: ProcessInstance's engine
# state, and routing's TaskPlan (the holder decided before the row exists).
NOT_TASKS = {("tickets/engine.py", "instance.state"), ("tickets/routing.py", "plan.assignee")}


class _TaskStateWrites(ast.NodeVisitor):
    """In a module that works with HumanTask rows: `x.state = …`, `x.assignee = …`
    (also in tuple targets and setattr), `.update(state=…)`, `.bulk_update(…, ["state"])`
    and `HumanTask(state=…, assignee=…)`."""

    def __init__(self):
        self.found: list[tuple[int, str]] = []

    def _target(self, target, node):
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._target(element, node)
        elif isinstance(target, ast.Attribute) and target.attr in FIELDS:
            self.found.append((node.lineno, ast.unparse(target)))

    def visit_Assign(self, node):
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        keywords = {k.arg for k in node.keywords}
        if name in ("update", "HumanTask", "update_or_create") and keywords & FIELDS:
            self.found.append((node.lineno, ast.unparse(node)[:80]))
        if name == "bulk_update" and any(
            isinstance(c, ast.Constant) and c.value in FIELDS
            for arg in node.args[1:]
            for c in ast.walk(arg)
        ):
            self.found.append((node.lineno, ast.unparse(node)[:80]))
        if (
            name == "setattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in FIELDS
        ):
            self.found.append((node.lineno, ast.unparse(node)[:80]))
        self.generic_visit(node)


def task_state_writes(source: str) -> list[tuple[int, str]]:
    if "HumanTask" not in source and ".tasks." not in source:
        return []  # works with no task rows (other models have a `state` of their own)
    visitor = _TaskStateWrites()
    visitor.visit(ast.parse(source))
    return visitor.found


def test_the_guard_finds_each_kind_of_write():
    snippet = """
from tickets.models import HumanTask
task.state = HumanTask.State.DONE
task.assignee, task.state = user, 'claimed'
row.assignee_id = 3
setattr(row, "assignee", None)
ticket.tasks.filter(state="open").update(state="cancelled")
HumanTask.objects.bulk_update(rows, ["state"])
HumanTask(ticket=t, state="open")
ticket.tasks.filter(state="open").count()
"""
    assert [line for line, _ in task_state_writes(snippet)] == [3, 4, 4, 5, 6, 7, 8, 9]


def test_no_module_but_taskstate_writes_task_state():
    offenders = []
    for path in sorted(PLATFORM.rglob("*.py")):
        relative = path.relative_to(PLATFORM).as_posix()
        if relative == "tickets/taskstate.py" or "/migrations/" in relative:
            continue
        if relative.startswith("bpmn/"):  # the engine library has no HumanTask
            continue
        for line, text in task_state_writes(path.read_text(encoding="utf-8")):
            if (relative, text) in NOT_TASKS:
                continue
            offenders.append(f"{relative}:{line}: {text}")
    assert offenders == []
