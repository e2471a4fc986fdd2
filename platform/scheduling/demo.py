"""Bookable demo resources and services for the beauty salon, clinic and equipment
maintenance templates (`load_demo`): rooms, doctors and field technicians (with their
skills and regions) on the office calendar. Safe to run again. Names are written in both
languages, "English (中文)", and pages show the reader's (element_names.local_name)."""

from django.contrib.auth import get_user_model

from org.models import SkillTag
from scheduling.models import Resource, Service

# The clinic's services need the doctors' skill: a patient is never offered a field
# technician's time.
DOCTOR_SKILL = ("doctor", "Doctor (医生)")
SERVICES = [
    # code, name, minutes, resource kind, skill
    ("facial", "Facial (面部护理)", 90, Resource.Kind.ROOM, None),
    ("massage", "Massage (按摩)", 60, Resource.Kind.ROOM, None),
    ("hair-colour", "Hair colouring (染发)", 120, Resource.Kind.ROOM, None),
    ("manicure", "Manicure (美甲)", 60, Resource.Kind.ROOM, None),
    ("clinic-consultation", "Consultation (门诊)", 20, Resource.Kind.TECHNICIAN, DOCTOR_SKILL),
    ("clinic-follow-up", "Follow-up visit (复诊)", 20, Resource.Kind.TECHNICIAN, DOCTOR_SKILL),
]
RESOURCES = [
    # code, name, kind, region (the clinic's department), username, skill
    ("salon-room-1", "Room 1 (一号护理间)", Resource.Kind.ROOM, "", "", None),
    ("salon-room-2", "Room 2 (二号护理间)", Resource.Kind.ROOM, "", "", None),
    ("dr-li", "Dr Li (李医生)", Resource.Kind.TECHNICIAN, "general", "", DOCTOR_SKILL),
    ("dr-wu", "Dr Wu (吴医生)", Resource.Kind.TECHNICIAN, "pediatrics", "", DOCTOR_SKILL),
    ("tom", "Tom, field technician (外勤技师汤姆)", Resource.Kind.TECHNICIAN, "tier1", "tom", None),
]
# Equipment maintenance: a two-hour visit per skill; scheduling.dispatch books the
# least-busy technician with the skill in the site's region (city, suburb, outskirts).
FIELD_SERVICES = [
    # code, name, skill
    ("eq-hvac", "HVAC and refrigeration visit (暖通制冷上门)", "hvac"),
    ("eq-electrical", "Electrical and controls visit (电气控制上门)", "electrical"),
    ("eq-mechanical", "Mechanical visit (机械上门)", "mechanical"),
]
FIELD_TECHNICIANS = [
    # code, name, region, username, skills
    ("fs-tom", "Tom, city (汤姆，市区)", "city", "tom", ("hvac", "electrical")),
    ("fs-jun", "Jun, city (王军，市区)", "city", "jun", ("hvac", "mechanical")),
    ("fs-kai", "Kai, suburbs (陈凯，近郊)", "suburb", "kai", ("hvac", "electrical", "mechanical")),
    (
        "fs-ling",
        "Ling, outskirts (林玲，远郊)",
        "outskirts",
        "ling",
        ("hvac", "electrical", "mechanical"),
    ),
]


def seed_demo_resources(calendar) -> int:
    users = get_user_model().objects.in_bulk(
        [r[4] for r in RESOURCES if r[4]], field_name="username"
    )
    doctors = SkillTag.objects.update_or_create(
        code=DOCTOR_SKILL[0], defaults={"name": DOCTOR_SKILL[1]}
    )[0]
    for code, name, minutes, kind, skill in SERVICES:
        Service.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "minutes": minutes,
                "resource_kind": kind,
                "skill": doctors if skill else None,
            },
        )
    for code, name, kind, region, username, skill in RESOURCES:
        resource, _ = Resource.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "region": region,
                "calendar": calendar,
                "user": users.get(username),
            },
        )
        resource.skills.set([doctors] if skill else [])
    return len(RESOURCES) + _seed_field_service(calendar)


def _seed_field_service(calendar) -> int:
    skills = {
        code: SkillTag.objects.get_or_create(code=code, defaults={"name": code.title()})[0]
        for code in {s for *_, tags in FIELD_TECHNICIANS for s in tags}
    }
    for code, name, skill in FIELD_SERVICES:
        Service.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "minutes": 120,
                "skill": skills[skill],
                "resource_kind": Resource.Kind.TECHNICIAN,
            },
        )
    users = get_user_model().objects.in_bulk(
        [t[3] for t in FIELD_TECHNICIANS], field_name="username"
    )
    for code, name, region, username, tags in FIELD_TECHNICIANS:
        resource, _ = Resource.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": Resource.Kind.TECHNICIAN,
                "region": region,
                "calendar": calendar,
                "user": users.get(username),
            },
        )
        resource.skills.set([skills[t] for t in tags])
    return len(FIELD_TECHNICIANS)
