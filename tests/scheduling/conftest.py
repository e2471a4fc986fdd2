"""A salon and a field team: a weekday 09:00-12:00 / 13:00-18:00 calendar in Shanghai,
Tom (aircon, east) and Jerry (aircon, east), a room, hour-long services."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from org.models import BusinessCalendar, SkillTag
from scheduling.models import Resource, Service

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = {
    d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
}


def next_monday(at_hour: int = 9) -> dt.datetime:
    today = dt.datetime.now(SHANGHAI).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(at_hour), tzinfo=SHANGHAI)


@pytest.fixture
def shop(db):
    calendar = BusinessCalendar.objects.create(name="shifts", hours=WEEKDAYS)
    aircon = SkillTag.objects.create(code="aircon", name="Air conditioners")
    tom = User.objects.get_or_create(username="tom")[0]
    jerry = User.objects.create_user("jerry")
    techs = []
    for code, user in (("tom", tom), ("jerry", jerry)):
        resource = Resource.objects.create(
            code=code, name=code.title(), user=user, region="east", calendar=calendar
        )
        resource.skills.add(aircon)
        techs.append(resource)
    room = Resource.objects.create(code="room-1", name="Room 1", kind="room", calendar=calendar)
    repair = Service.objects.create(
        code="aircon-repair", name="Aircon repair", minutes=60, skill=aircon
    )
    facial = Service.objects.create(code="facial", name="Facial", minutes=90, resource_kind="room")
    return {
        "calendar": calendar,
        "tom": techs[0],
        "jerry": techs[1],
        "room": room,
        "repair": repair,
        "facial": facial,
        "skill": aircon,
    }
