"""Who handles a task: the assignment decision (dmn/assignment.dmn, decision `assignment`,
hit policy FIRST) picks a strategy and target from the ticket's data; the strategy picks
the user.

The tickets runtime calls `choose_assignee(AssignmentRequest(...))` when a user task becomes
ready, inside the transaction that creates the HumanTask, and applies the result:

- `user` set: assign the task to that user.
- `user` None and `candidates` non-empty: offer the task to exactly those users
  (department members, on-duty members; the first to claim wins).
- otherwise: the task waits in `group`'s queue; when `warn_supervisor` is set nobody was
  eligible, and `supervisor` (None: the supervisors group) is to be warned.

`group` is always the owning team when one is known (its calendar runs the SLA clock).
`as_event_detail()` is the JSON for the "assigned" timeline event: the rule row and the
decision version that decided are recorded there.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import Group, User

from org import queries, strategies
from org.decisions import Verdict, evaluate

DECISION_ID = "assignment"
DECISION_FILE = "assignment.dmn"
QUEUE = "group_queue"


@dataclass(frozen=True)
class AssignmentRequest:
    candidate_groups: Sequence[str] = ()  # group names from the lane or candidateGroups
    candidate_users: Sequence[str] = ()  # usernames from candidateUsers
    task: str = ""  # BPMN id of the user task
    process_key: str = ""  # the ticket's process key (template)
    data: Mapping[str, Any] = field(default_factory=dict)  # the ticket's process data
    load_of: queries.LoadOf = queries.no_load  # open tasks per user id


@dataclass(frozen=True)
class Route:
    """What the decision said (or what a caller forces, e.g. a transfer to a user)."""

    strategy: str
    target: str | None = None
    version: str = ""  # decision version; "" when forced by the caller
    rule: int | None = None
    verdict: Verdict | None = None


@dataclass(frozen=True)
class AssignmentResult:
    strategy: str
    target: str | None
    user: User | None
    group: Group | None
    candidates: tuple[User, ...]
    decision_version: str
    rule: int | None
    warn_supervisor: bool
    supervisor: User | None
    reason: str

    def as_event_detail(self) -> dict:
        return {
            "strategy": self.strategy,
            "target": self.target,
            "assignee": self.user.username if self.user else None,
            "group": self.group.name if self.group else None,
            "candidates": [u.username for u in self.candidates],
            "decision": {"id": DECISION_ID, "version": self.decision_version, "rule": self.rule},
            "warn_supervisor": self.warn_supervisor,
            "supervisor": self.supervisor.username if self.supervisor else None,
            "reason": self.reason,
        }


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def required_skills(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Skill tag codes a ticket needs: `required_skills` (a list) or `required_skill`
    (one code, or a comma list)."""
    value = data.get("required_skills") or data.get("required_skill") or ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(dict.fromkeys(s.strip() for s in value if isinstance(s, str) and s.strip()))


def routing_context(request: AssignmentRequest) -> dict[str, Any]:
    """The assignment table's inputs: the ticket data with the routing keys normalised
    (empty text is null, the amount a Decimal) and the task's own facts added."""
    data = request.data
    skills = required_skills(data)
    context = dict(data)
    context.update(
        process_key=_text(request.process_key),
        task=_text(request.task),
        candidate_group=_text(request.candidate_groups[0]) if request.candidate_groups else None,
        amount=_decimal(data.get("amount")),
        customer_tier=_text(data.get("customer_tier")),
        category=_text(data.get("category")),
        region=_text(data.get("region")),
        channel=_text(data.get("channel")),
        preferred_agent=_text(data.get("preferred_agent")),
        required_skill=skills[0] if skills else None,
    )
    return context


def decide_route(request: AssignmentRequest) -> Route:
    """Evaluate the published `assignment` decision (else dmn/assignment.dmn)."""
    verdict = evaluate(DECISION_ID, DECISION_FILE, routing_context(request))
    strategy = _text(verdict.outputs.get("strategy"))
    if not verdict.matched or strategy is None:
        return Route(QUEUE, None, verdict.version, None, verdict)
    target = _text(verdict.outputs.get("target"))
    return Route(strategy, target, verdict.version, verdict.rule, verdict)


def _situation(request: AssignmentRequest) -> strategies.Situation:
    names = list(dict.fromkeys(request.candidate_groups))
    found = queries.groups_named(names)
    usernames = list(request.candidate_users)
    users = list(User.objects.filter(username__in=usernames)) if usernames else []
    return strategies.Situation(
        groups=[found[n] for n in names if n in found],
        users=sorted(users, key=lambda u: u.username),
        data=request.data,
        load_of=request.load_of,
        skills=required_skills(request.data),
        region=_text(request.data.get("region")) or "",
    )


def choose_assignee(request: AssignmentRequest, route: Route | None = None) -> AssignmentResult:
    """Pick the handler of a ready task. `route` forces a strategy (tests, transfers);
    by default the assignment decision chooses it. Call it inside the transaction that
    writes the HumanTask (a round-robin turn is taken with one atomic statement)."""
    route = route or decide_route(request)
    situation = _situation(request)
    try:
        pick = strategies.run(route.strategy, situation, route.target)
    except strategies.Nobody as nobody:
        group = nobody.group or situation.group
        return AssignmentResult(
            strategy=route.strategy,
            target=route.target,
            user=None,
            group=group,
            candidates=(),
            decision_version=route.version,
            rule=route.rule,
            warn_supervisor=True,
            supervisor=queries.supervisor_for(None, group),
            reason=nobody.reason,
        )
    return AssignmentResult(
        strategy=route.strategy,
        target=route.target,
        user=pick.user,
        group=pick.group or situation.group,
        candidates=pick.candidates,
        decision_version=route.version,
        rule=route.rule,
        warn_supervisor=False,
        supervisor=None,
        reason=pick.reason,
    )
