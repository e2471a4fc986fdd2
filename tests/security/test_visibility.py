"""tickets.visibility: by key, then by value, for each kind of reader."""

import pytest

from tests.conftest import repair_start
from tickets import actions
from tickets.models import Ticket
from tickets.visibility import HIDDEN, Reader, redact_for

pytestmark = pytest.mark.django_db

PHONE = "13812341234"


@pytest.fixture
def ticket(cast, repair):
    started = actions.do_start_ticket(cast["alice"], "repair", repair_start(customer_phone=PHONE))
    accept = started.tasks.get(bpmn_id="accept")
    actions.do_complete_task(cast["alice"], accept.id, {"accepted": True, "note": "gate code 7781"})
    return Ticket.objects.get(id=started.id)


def test_finance_gets_the_phone_masked_and_no_note_however_it_is_written(cast, ticket):
    finance = Reader.staff(cast["carol"])
    data = redact_for(finance, ticket, ticket.data, as_data=True)
    assert data["customer_phone"] == "138****1234" and "note" not in data
    text = "ring +86 138-1234 1234 or 138 1234 1234; the gate code 7781 is in the note"
    assert redact_for(finance, ticket, text) == (
        "ring +86 138****1234 or 138****1234; the [hidden] is in the note"
    )
    nested = {"reasons": ["call 13812341234"], "n": 7781, "ok": True}
    assert redact_for(finance, ticket, nested) == {
        "reasons": ["call 138****1234"],
        "n": 7781,  # a number outside free text is left alone (it may be a count)
        "ok": True,
    }


def test_decision_inputs_are_matched_whole_and_outputs_by_field_name(cast, ticket):
    view = Reader.staff(cast["tom"]).view(ticket)  # technicians: no note, phone in clear
    detail = {
        "decision_id": "audit",
        "inputs": {"Note": "gate code 7781", "Phone": PHONE},
        "outputs": {"note": "gate code 7781", "priority": 1},
    }
    shown = view.detail("decision", detail)
    assert shown["inputs"] == {"Note": HIDDEN, "Phone": PHONE}
    assert shown["outputs"] == {"priority": 1}


def test_readers_without_a_role_get_the_strictest_view(cast, ticket):
    for reader in (Reader.integration(), Reader.customer(), Reader.staff(None)):
        data = redact_for(reader, ticket, ticket.data, as_data=True)
        assert data["customer_phone"] == "138****1234" and "note" not in data
        assert data["customer_name"] == "Wang Fang"
    # A dispatcher sees it all, and nothing is rewritten for them.
    alice = Reader.staff(cast["alice"])
    assert redact_for(alice, ticket, ticket.data, as_data=True) == ticket.data
    assert redact_for(alice, ticket, f"call {PHONE}") == f"call {PHONE}"


def test_short_values_are_not_hunted_inside_words(cast, repair):
    started = actions.do_start_ticket(cast["alice"], "repair", repair_start())
    accept = started.tasks.get(bpmn_id="accept")
    actions.do_complete_task(cast["alice"], accept.id, {"accepted": True, "note": "tv"})
    ticket = Ticket.objects.get(id=started.id)
    view = Reader.staff(cast["carol"]).view(ticket)
    assert view.text("the tv is in the tvroom") == "the tv is in the tvroom"
    assert view.value({"Note": "tv"}, exact=True) == {"Note": HIDDEN}
    assert "note" not in view.data(ticket.data)


def test_a_listed_page_reads_the_data_only_of_readers_with_something_to_scrub(
    cast, ticket, django_assert_num_queries
):
    """Lists load tickets without their data and prime the views of a page: finance (the
    phone masked) gets it to scrub the title with; a dispatcher, who sees every field, has
    no secret to look for and costs no query."""
    Ticket.objects.filter(id=ticket.id).update(title=f"Call {PHONE}")
    listed = Ticket.objects.select_related("process_version").defer("data").get(id=ticket.id)
    finance, alice = Reader.staff(cast["carol"]), Reader.staff(cast["alice"])
    finance.prime([listed])
    assert finance.view(listed).text(listed.title) == "Call 138****1234"
    alice.access(listed)  # the field access of the template version (cached)
    with django_assert_num_queries(0):
        alice.prime([listed])
        assert alice.view(listed).text(listed.title) == f"Call {PHONE}"
