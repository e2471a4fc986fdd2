"""Appointments on the ticket timeline read as sentences, in the reader's zone and language."""

import pytest
from django.utils import timezone, translation

from tests.tickets.test_timeline import line_of

pytestmark = pytest.mark.django_db
BOOKED = {"start": "2026-12-07T01:00:00+00:00", "resource": "Lily (Room 2)", "service": "Facial"}


def test_booking_moving_and_site_visits_read_as_sentences():
    with translation.override("en"), timezone.override("Asia/Shanghai"):
        booked = line_of("appointment_booked", {**BOOKED, "by_customer": True})
        moved = line_of("appointment_moved", BOOKED)
        checked_in = line_of("checked_in", {**BOOKED, "at_time": "2026-12-07T01:03:00+00:00"})
    assert booked.sentence.startswith("The customer booked an appointment for ")
    assert "12/07/2026 9 a.m." in booked.sentence and booked.sentence.endswith("with Lily (Room 2)")
    assert booked.note == "Facial"
    assert moved.sentence.startswith("The system moved the appointment to ")
    assert (
        checked_in.sentence.startswith("The system checked in on site at ")
        and "9:03 a.m." in checked_in.sentence
    )


def test_they_are_translated():
    with translation.override("zh-hans"), timezone.override("Asia/Shanghai"):
        booked = line_of("appointment_booked", {**BOOKED, "by_customer": True})
        out = line_of("checked_out", {**BOOKED, "at_time": "2026-12-07T02:30:00+00:00"})
    assert booked.sentence.startswith("客户 预约了") and "Lily (Room 2)" in booked.sentence
    assert "现场签退" in out.sentence and "10:30" in out.sentence


def test_the_message_that_books_reads_as_words():
    with translation.override("en"):
        line = line_of("message", {"name": "appointment_booked"})
    assert line.sentence == "Message “Appointment booked” arrived"


def test_a_resource_and_a_service_named_in_both_languages_read_in_the_readers():
    named = {**BOOKED, "resource": "Dr Li (李医生)", "service": "Consultation (门诊)"}
    with translation.override("zh-hans"), timezone.override("Asia/Shanghai"):
        chinese = line_of("appointment_booked", named)
        cancelled = line_of("appointment_cancelled", {**named, "reason": "cancelled"})
    with translation.override("en"):
        english = line_of("appointment_moved", named)
    assert "李医生" in chinese.sentence and "Dr Li" not in chinese.sentence
    assert chinese.note == "门诊" and cancelled.note == "门诊" and "李医生" in cancelled.sentence
    assert english.sentence.endswith("with Dr Li") and english.note == "Consultation"
