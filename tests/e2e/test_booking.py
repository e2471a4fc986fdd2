"""Booking an appointment in a real browser: the customer on a 375 px phone (Chinese, in
their own time zone), a second customer beaten to the slot, the agent's ticket page."""

import re
import shutil

import pytest
from django.contrib.auth.models import Group

from tests.conftest import PROCESSES, ROOT, deploy_file
from tests.e2e.browser import run_script
from tests.scheduling.conftest import WEEKDAYS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_customer_books_a_slot_on_the_portal_and_the_agent_sees_it(cast, live_server):
    from org.models import BusinessCalendar
    from scheduling.models import Resource, Service
    from tickets import actions

    if not shutil.which("chromium") or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("browser tests need Debian's chromium and npm's playwright-core")
    cast["alice"].first_name = "Alice"
    cast["alice"].save()
    cast["alice"].groups.add(Group.objects.get_or_create(name="front_desk")[0])
    calendar = BusinessCalendar.objects.create(name="salon", hours=WEEKDAYS)
    Resource.objects.create(code="lily", name="Lily · Room 2", kind="room", calendar=calendar)
    Service.objects.create(code="facial", name="Facial", minutes=90, resource_kind="room")
    deploy_file(PROCESSES / "beauty_salon.bpmn")
    start = {"appointment_service": "facial", "skin_type": "normal"}
    mine = actions.do_start_ticket(
        cast["alice"],
        "beauty_salon",
        {**start, "customer_name": "王芳", "customer_phone": "13812341234"},
    )
    theirs = actions.do_start_ticket(
        cast["alice"],
        "beauty_salon",
        {**start, "customer_name": "Li Lei", "customer_phone": "13900001111"},
    )
    seen = run_script(
        "booking.mjs",
        live_server,
        TRACK_A=f"/t/{mine.tracking_token}/",
        TRACK_B=f"/t/{theirs.tracking_token}/",
        TICKET=mine.number,
    )
    assert seen["zoneNote"] == "时间按 Asia/Tokyo 时区显示。"
    assert seen["askZh"] == "请选择适合您的时间。"
    assert "星期" in seen["firstDayZh"]
    # The salon opens at 09:00 Shanghai time: 10:00 in Tokyo (a day after today, booked).
    assert seen["openingSlotZh"].startswith("10:00") and "Lily · Room 2" in seen["openingSlotZh"]
    # three days of times on the phone's first screens, the others folded ("其余 7 天")
    assert seen["daysShownZh"] == 3 and re.fullmatch(r"其余 \d+ 天", seen["moreDaysZh"])
    assert seen["pageHeightZh"] < 2400  # the ten days one time a line were 3,970 px
    assert "10:00–11:30" in seen["bookedZh"] and "Lily · Room 2" in seen["bookedZh"]
    assert seen["takenStatus"] == 409
    assert (
        seen["takenText"] == "This time was booked by someone else meanwhile. Please pick another."
    )
    assert "09:00" in seen["agentSees"] and "Lily · Room 2" in seen["agentSees"]
    assert "The customer booked an appointment for" in seen["agentTimeline"]
    assert seen["axeZh"] == [] and seen["axeEn"] == [] and seen["axeAgent"] == []
    assert seen["overflowZh"] is False and seen["overflowEn"] is False
