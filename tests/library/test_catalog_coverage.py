"""Issue 17's acceptance for every template of processes/catalog.json: scenario tests of its
main path and at least two alternative paths (processes/tests/test_<key>.json, run by
`run_scenarios`: tests/bpmn/test_scenarios.py), and an API story that starts it over
/api/v1 and drives it to its end as the real roles (registered below)."""

import importlib
import inspect
import json

import pytest

from tests.conftest import PROCESSES

CATALOG = json.loads((PROCESSES / "catalog.json").read_text(encoding="utf-8"))
KEYS = [template["key"] for template in CATALOG["templates"]]

# key -> the API stories ("module::test") that start that template and finish it.
STORIES = {
    "repair": [
        "tests.library.test_general_stories::"
        "test_repair_sent_back_to_dispatch_quote_rejected_then_repaired_and_rated",
    ],
    "inquiry": [
        "tests.library.test_general_stories::"
        "test_inquiry_vip_billing_question_passed_to_finance_who_answer_it",
        "tests.library.test_general_stories::"
        "test_inquiry_the_customer_is_asked_replies_on_the_portal_and_is_answered",
        "tests.library.test_general_stories::test_inquiry_without_a_reply_in_three_days_closes",
    ],
    "food_safety": [
        "tests.library.test_stories::"
        "test_food_safety_late_response_escalates_and_finance_approves_the_compensation",
    ],
    "damaged_goods": [
        "tests.library.test_stories::"
        "test_broken_goods_reshipped_and_closed_by_the_couriers_message",
        "tests.library.test_stories::test_broken_goods_photos_refused",
    ],
    "course_refund": [
        "tests.library.test_stories::"
        "test_course_refund_sent_back_for_a_receipt_then_approved_by_finance_and_paid",
    ],
    "trial_lesson": [
        "tests.library.test_stories::test_trial_lesson_no_show_arranged_again_then_enrolled",
    ],
    "returns": [
        "tests.library.test_stories::test_returns_vip_refund_received_and_settled",
    ],
    "auto_repair": [
        "tests.library.test_appointment_stories::"
        "test_auto_repair_checked_in_quoted_repaired_and_paid_in_two_parts",
    ],
    "beauty_salon": [
        "tests.library.test_appointment_stories::"
        "test_beauty_salon_booked_over_the_api_treated_and_followed_up",
    ],
    "medical_clinic": [
        "tests.library.test_appointment_stories::"
        "test_clinic_emergency_referred_a_visit_sent_back_for_insurance_then_seen_and_rated",
    ],
    "equipment_maintenance": [
        "tests.library.test_equipment_story::"
        "test_a_chiller_down_at_a_vip_is_dispatched_repaired_settled_in_instalments_and_rated",
    ],
}


def _path(case: dict) -> tuple:
    """The steps a case goes through and how often: two cases on one path are one path."""
    return tuple(
        sorted((step.split(":")[-1], len(v.get("data", []))) for step, v in case["tasks"].items())
    )


@pytest.mark.parametrize("key", KEYS)
def test_each_template_has_scenarios_of_its_main_path_and_two_alternatives(key):
    scenarios = PROCESSES / "tests" / f"test_{key}.json"
    assert scenarios.is_file(), f"{key} has no scenario file processes/tests/test_{key}.json"
    cases = json.loads(scenarios.read_text(encoding="utf-8"))
    assert len(cases) >= 3, f"{key}: {len(cases)} scenario(s), a main path and two alternatives"
    paths = {_path(case) for case in cases.values()}
    assert len(paths) >= 3, f"{key}: the scenarios take only {len(paths)} different path(s)"


def test_every_template_and_only_those_have_registered_api_stories():
    assert sorted(STORIES) == sorted(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_each_registered_story_starts_its_template_over_the_api_and_finishes_it(key):
    finished = False
    for ref in STORIES[key]:
        module, name = ref.split("::")
        story = getattr(importlib.import_module(module), name, None)
        assert callable(story), f"{key}: no story {ref}"
        source = inspect.getsource(story)
        assert f'"{key}"' in source, f"{ref} does not start {key}"
        assert "desk." in source or "/api/v1/" in source, f"{ref} does not use the API"
        finished = finished or '"completed"' in source
    assert finished, f"no story of {key} drives it to its end"
