"""Every event kind the platform writes reads as a sentence, never as its code."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from tickets.display import Formatter, Names
from tickets.models import TicketEvent
from tickets.timeline import SENTENCES, Context, sentences

PLATFORM = Path(__file__).resolve().parents[2] / "platform"
pytestmark = pytest.mark.django_db
WRITERS = re.compile(r"(?:record_event|queue_event)\(\s*[\w.]+,\s*\"([a-z_]+)\"")

EXAMPLES = {
    "created": {"channel": "webform"},
    "assigned": {"assignee": "tom", "decision": {"id": "assignment", "version": "v3", "rule": 2}},
    "transferred": {"to_user": "tom", "reason": "he knows fridges"},
    "sent_back": {"to": "schedule_visit", "reason": "wrong address"},
    "rejected": {"reason": "too dear"},
    "approved": {"reason": ""},
    "task_completed": {"data": {"accepted": True}},
    "decision": {"decision_id": "triage", "version": "v1", "matched_rules": [1], "outputs": {}},
    "sla_started": {"due_at": "2026-11-30T15:00:00Z"},
    "sla_warning": {"level": 1, "to": ["bob"]},
    "sla_breached": {"level": 4, "to": ["bob"]},
    "escalated": {"to_user": "bob"},
    "message_posted": {"visibility": "internal", "author_kind": "staff", "attachments": 2},
    "info_requested": {"question": "Which model is it?"},
    "rated": {"score": 4, "comment": "quick"},
    "priority_changed": {"before": 1, "after": 4, "reason": "VIP"},
}


def context():
    names = Names(users={"tom": "Tom Zhang", "bob": "Bob Wu"})
    steps = {"diagnose": "Diagnose on site", "schedule_visit": "Schedule the visit"}
    return Context(names, lambda b: steps.get(b, b), Formatter({}, names))


def line_of(kind, detail=None, bpmn_id="diagnose"):
    event = TicketEvent(kind=kind, bpmn_id=bpmn_id, detail=detail or {})
    return sentences([event], [detail or {}], context())[0]


def kinds_written_by_the_platform() -> set[str]:
    found = set()
    for path in PLATFORM.rglob("*.py"):
        found |= set(WRITERS.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_kind_the_platform_writes_has_a_sentence():
    written = kinds_written_by_the_platform()
    assert {"transferred", "sent_back", "task_created", "sla_started"} <= written
    assert written - set(SENTENCES) == set()


@pytest.mark.parametrize("kind", sorted(SENTENCES))
def test_each_sentence_reads_without_codes(kind):
    with translation.override("en"):
        line = line_of(kind, EXAMPLES.get(kind))
    text = f"{line.sentence} {line.note} {line.quote}"
    assert line.sentence and "_" not in line.sentence, text
    assert "None" not in text and "{" not in text


def test_sentences_carry_the_names_rules_and_reasons_people_gave():
    with translation.override("en"):
        transfer = line_of("transferred", EXAMPLES["transferred"])
        back = line_of("sent_back", EXAMPLES["sent_back"])
        rejected = line_of("rejected", EXAMPLES["rejected"], bpmn_id="approve_quote")
        warned = line_of("sla_warning", EXAMPLES["sla_warning"])
    assert transfer.sentence == "Diagnose on site transferred to Tom Zhang by The system"
    assert transfer.quote == "he knows fridges"
    assert back.sentence == "The system sent the ticket back to Schedule the visit"
    assert back.quote == "wrong address" and back.tone == "warning"
    assert rejected.quote == "too dear" and "rejected" in rejected.sentence
    assert warned.note == "Told Bob Wu" and warned.tone == "warning"


def test_a_kind_without_a_sentence_still_reads_as_words():
    with translation.override("en"):
        line = line_of("parts_reserved")
    assert line.sentence == "The system: Parts reserved at Diagnose on site"


def test_sentences_are_translated():
    with translation.override("zh-hans"):
        line = line_of("transferred", EXAMPLES["transferred"])
    assert "转" in line.sentence and "Tom Zhang" in line.sentence


def test_decision_tables_are_named_as_their_dmn_names_them_in_the_readers_language():
    """A published table is named by its DMN `name` (both languages: the reader's one), not
    by its id; a table that cannot be read keeps its id."""
    from definitions.models import DecisionVersion

    dmn = (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" '
        'namespace="x"><decision id="visit_fee" name="Visit fee (上门费)"><decisionTable '
        'id="t" hitPolicy="FIRST"><input id="i"><inputExpression id="e"><text>region</text>'
        '</inputExpression></input><output id="o" name="fee"/><rule id="r1">'
        '<description>Remote areas (偏远地区)</description><inputEntry id="a"><text>-</text>'
        '</inputEntry><outputEntry id="b"><text>80</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>"
    )
    DecisionVersion.objects.create(decision_id="visit_fee", version=2, dmn_xml=dmn)
    detail = {"decision_id": "visit_fee", "version": "v2", "matched_rules": [1], "outputs": {}}
    with translation.override("en"):
        english = line_of("decision", detail).sentence
        unknown = line_of("decision", {**detail, "decision_id": "gone"}).sentence
    with translation.override("zh-hans"):
        chinese = line_of("decision", detail).sentence
    assert english == "Decision table Visit fee (v2) applied rule ‘Remote areas’"
    assert "上门费" in chinese and "偏远地区" in chinese and "Visit fee" not in chinese
    assert unknown.startswith("Decision table gone (v2)")


def test_the_shipped_decision_tables_word_their_rules_in_both_languages():
    """Every described rule of the shipped routing, triage and service-level tables says
    in both languages why it decided; each reader reads their own."""
    import hashlib

    from django.conf import settings

    from tickets.decision_rules import _read_facts, rule_label

    for name, decision_ids in {
        "triage": ["triage"],
        "assignment": ["assignment"],
        "sla": ["intake_priority", "sla"],
    }.items():
        text = (Path(settings.DMN_DIR) / f"{name}.dmn").read_text(encoding="utf-8")
        version = f"file:{hashlib.sha256(text.encode()).hexdigest()[:12]}"
        for decision_id in decision_ids:
            described = [n for n, d in enumerate(_read_facts(decision_id, version)[1], 1) if d]
            assert described, decision_id
            for rule in described:
                with translation.override("en"):
                    english = rule_label(decision_id, version, rule)
                with translation.override("zh-hans"):
                    chinese = rule_label(decision_id, version, rule)
                assert english and re.search(r"[\u3400-\u9fff]", chinese), (decision_id, rule)
                assert not re.search(r"[\u3400-\u9fff]", english) or "专属客服" in english
