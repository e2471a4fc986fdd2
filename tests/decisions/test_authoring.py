"""Decision drafts: saved only when the real DMN parser accepts them, test rows run by the real
engine, publish refused while a row fails, roll back restores what the tickets get."""

import pytest

from definitions import authoring, decisions
from definitions.models import DecisionEvent, DecisionVersion
from tests.conftest import ROOT, repair_start
from tickets import actions

pytestmark = pytest.mark.django_db

TRIAGE = (ROOT / "dmn" / "triage.dmn").read_text()
VIP_4 = '<outputEntry id="triage_r1_o1"><text>4</text></outputEntry>'
VIP_IS_3 = TRIAGE.replace(VIP_4, '<outputEntry id="triage_r1_o1"><text>3</text></outputEntry>')
VIP_ROW = {
    "name": "VIP television",
    "inputs": {"customer_tier": "VIP", "category": "tv"},
    "expected": {"priority": "3", "sla_hours": "2"},
}


def priority_of_new_vip_ticket(user):
    ticket = actions.do_start_ticket(user, "repair", repair_start(customer_tier="VIP"))
    event = ticket.events.get(kind="decision", detail__decision_id="triage")
    return ticket.data["priority"], event.detail["version"]


def test_a_draft_starts_from_the_live_version_and_keeps_one_open_draft(olga, repair):
    draft = authoring.do_start_draft("triage", olga)
    assert (draft.version, draft.status, draft.author) == (2, "draft", olga)
    assert draft.dmn_xml == DecisionVersion.objects.get(decision_id="triage", version=1).dmn_xml
    assert authoring.do_start_draft("triage", olga).id == draft.id


def test_a_decision_never_stored_starts_from_the_shipped_file(olga):
    draft = authoring.do_start_draft("assignment", olga)
    assert draft.version == 1 and draft.dmn_filename == "assignment.dmn"
    assert draft.name == "Assignment (派单)"  # as the file names it, in both languages
    with pytest.raises(LookupError):
        authoring.do_start_draft("no_such_table", olga)


def test_test_rows_pass_and_fail_on_the_real_table_with_words_for_each_output(olga, repair):
    draft = authoring.do_start_draft("triage", olga)
    failing = authoring.do_save_draft(draft, TRIAGE, [VIP_ROW], olga)
    assert failing.test_cases == [
        {
            "name": "VIP television",
            "input": {"customer_tier": "VIP", "category": "tv"},
            "expected": {"priority": 3, "sla_hours": 2},
        }
    ]
    [row] = authoring.run_version(failing)
    assert not row.passed
    assert [(o.column, o.expected, o.actual, o.same) for o in row.outcomes] == [
        ("priority", "3", "4", False),
        ("sla_hours", "2", "2", True),
    ]
    [row] = authoring.run_version(authoring.do_save_draft(draft, VIP_IS_3, [VIP_ROW], olga))
    assert row.passed and row.label == "Row 1 (VIP television)"


def test_publish_is_refused_while_a_row_fails_and_names_it(olga, repair):
    draft = authoring.do_save_draft(
        authoring.do_start_draft("triage", olga), TRIAGE, [VIP_ROW], olga
    )
    with pytest.raises(authoring.PublishRefused) as refused:
        authoring.do_publish_draft(draft, olga)
    assert str(refused.value) == "Row 1 (VIP television)"
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert decisions.published("triage").version == 1
    assert not DecisionEvent.objects.filter(version=draft).exists()


def test_publish_then_roll_back_changes_what_new_tickets_get(cast, olga, repair):
    assert priority_of_new_vip_ticket(cast["alice"]) == (4, "v1")
    draft = authoring.do_save_draft(
        authoring.do_start_draft("triage", olga), VIP_IS_3, [VIP_ROW], olga
    )
    authoring.do_publish_draft(draft, olga)
    assert priority_of_new_vip_ticket(cast["alice"]) == (3, "v2")

    decisions.do_rollback_decision("triage", 1, olga)
    assert priority_of_new_vip_ticket(cast["alice"]) == (4, "v1")
    kinds = list(
        DecisionEvent.objects.filter(version__decision_id="triage", actor=olga)
        .order_by("id")
        .values_list("kind", "version__version", "replaced")
    )
    assert kinds == [("published", 2, 1), ("rolled_back", 1, 2)]


@pytest.mark.parametrize(
    ("xml", "rows", "says"),
    [
        ("<definitions", [], "cannot be used"),
        (TRIAGE.replace("<text>4</text>", "<text>4 +</text>"), [], "cannot be used"),
        (TRIAGE.replace('id="triage"', 'id="triage2"'), [], "keep its id"),
        (TRIAGE, [{"inputs": {}, "expected": {"priority": "high"}}], "“high” is not a number"),
        (TRIAGE, "rows", "list"),
    ],
)
def test_a_draft_that_cannot_be_used_is_refused_with_nothing_stored(olga, repair, xml, rows, says):
    draft = authoring.do_start_draft("triage", olga)
    before = (draft.dmn_xml, draft.test_cases, draft.content_hash)
    with pytest.raises(authoring.DraftError) as refused:
        authoring.do_save_draft(draft, xml, rows, olga)
    assert says in " ".join(refused.value.messages)
    draft.refresh_from_db()
    assert (draft.dmn_xml, draft.test_cases, draft.content_hash) == before


def test_only_process_owners_and_admins_author_decisions(cast, olga):
    assert authoring.may_author_decisions(olga)
    assert authoring.may_author_decisions(cast["dave"])
    assert not any(authoring.may_author_decisions(cast[n]) for n in ("alice", "bob", "carol"))
