"""Bookable demo resources and services for the beauty salon and clinic templates
(`load_demo`): rooms and doctors on the office calendar. Safe to run again."""

from django.contrib.auth import get_user_model

from scheduling.models import Resource, Service

SERVICES = [
    # code, name, minutes, resource kind
    ("facial", "Facial 面部护理", 90, Resource.Kind.ROOM),
    ("massage", "Massage 按摩", 60, Resource.Kind.ROOM),
    ("hair-colour", "Hair colouring 染发", 120, Resource.Kind.ROOM),
    ("manicure", "Manicure 美甲", 60, Resource.Kind.ROOM),
    ("clinic-consultation", "Consultation 门诊", 20, Resource.Kind.TECHNICIAN),
    ("clinic-follow-up", "Follow-up visit 复诊", 20, Resource.Kind.TECHNICIAN),
]
RESOURCES = [
    # code, name, kind, region (the clinic's department), username
    ("salon-room-1", "Room 1 一号护理间", Resource.Kind.ROOM, "", ""),
    ("salon-room-2", "Room 2 二号护理间", Resource.Kind.ROOM, "", ""),
    ("dr-li", "Dr Li 李医生", Resource.Kind.TECHNICIAN, "general", ""),
    ("dr-wu", "Dr Wu 吴医生", Resource.Kind.TECHNICIAN, "pediatrics", ""),
    ("tom", "Tom (field technician)", Resource.Kind.TECHNICIAN, "tier1", "tom"),
]


def seed_demo_resources(calendar) -> int:
    users = get_user_model().objects.in_bulk(
        [r[4] for r in RESOURCES if r[4]], field_name="username"
    )
    for code, name, minutes, kind in SERVICES:
        Service.objects.update_or_create(
            code=code, defaults={"name": name, "minutes": minutes, "resource_kind": kind}
        )
    for code, name, kind, region, username in RESOURCES:
        Resource.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "region": region,
                "calendar": calendar,
                "user": users.get(username),
            },
        )
    return len(RESOURCES)
