"""Decision versions: publish (test rows first), roll back, and the timeline names the version."""

import pytest

from definitions import decisions
from definitions.models import DecisionVersion
from tests.conftest import ROOT, repair_start
from tickets import actions

pytestmark = pytest.mark.django_db

TRIAGE = (ROOT / "dmn" / "triage.dmn").read_text()
VIP_IS_3 = TRIAGE.replace(
    '<outputEntry id="triage_r1_o1"><text>4</text></outputEntry>',
    '<outputEntry id="triage_r1_o1"><text>3</text></outputEntry>',
)


def triage_of(user, tier="VIP"):
    ticket = actions.do_start_ticket(user, "repair", repair_start(customer_tier=tier))
    event = ticket.events.get(kind="decision", detail__decision_id="triage")
    return ticket.data["priority"], event.detail["version"]


def test_publish_applies_at_evaluation_time_and_rollback_restores(cast, repair):
    assert triage_of(cast["alice"]) == (4, "v1")
    [v2] = decisions.do_create_decision_versions(
        "triage.dmn",
        VIP_IS_3,
        cast["bob"],
        publish=True,
        test_cases=[
            {
                "input": {"customer_tier": "VIP", "category": "tv"},
                "expected": {"priority": 3, "sla_hours": 2},
            }
        ],
    )
    assert v2.version == 2 and v2.status == "published"
    assert DecisionVersion.objects.get(decision_id="triage", version=1).status == "retired"
    assert triage_of(cast["alice"]) == (3, "v2")  # running process, new table

    decisions.do_rollback_decision("triage", 1, cast["bob"])
    assert triage_of(cast["alice"]) == (4, "v1")
    assert DecisionVersion.objects.filter(decision_id="triage", status="published").count() == 1


def test_publishing_refuses_a_table_whose_test_rows_fail(cast, repair):
    bad_cases = [
        {
            "input": {"customer_tier": "VIP", "category": "tv"},
            "expected": {"priority": 4, "sla_hours": 2},
        }
    ]
    with pytest.raises(decisions.DecisionPublishError, match="test rows fail"):
        decisions.do_create_decision_versions(
            "triage.dmn", VIP_IS_3, cast["bob"], publish=True, test_cases=bad_cases
        )
    assert DecisionVersion.objects.get(decision_id="triage", status="published").version == 1
    assert not DecisionVersion.objects.filter(decision_id="triage", version=2).exists()
    assert triage_of(cast["alice"]) == (4, "v1")
