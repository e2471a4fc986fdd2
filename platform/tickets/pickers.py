"""Choosing people and customers by name instead of typing usernames: searches limited to
whom the chooser may pick (one query each, whatever the size of the organisation).

- People for a task (a transfer): the members of the task's candidate groups and of the
  groups its transfer operation names; the groups themselves for a transfer to a queue.
- People for a form's user field: active staff, within the group the field names
  (`ui:options.group`) when it names one.
- Customers: for staff only, by name, phone or e-mail.
- Parts and warehouses of the pricing catalogs: for staff only, by code or name; a part
  reads "主控板 · EQ-CTRL-BOARD" (its name in the reader's language), the value is its SKU.
"""

from django.contrib.auth.models import Group, User
from django.db.models import Q

from pricing.queries import find_parts, find_warehouses
from tickets.display import with_code
from tickets.models import HumanTask
from tickets.taskstate import declared_operations

RESULTS = 10


def transfer_groups(task: HumanTask) -> list[str]:
    """The groups a task may be handed to: its candidate groups and those named for its
    transfer operation ("*" and the supervisors' role are no queue of their own)."""
    named = [g for g in declared_operations(task).get("transfer", []) if g != "*"]
    own = list(task.candidate_groups.values_list("name", flat=True))
    return sorted(set(own) | set(named))


def people_for_task(task: HumanTask, query: str) -> list[dict]:
    groups = transfer_groups(task)
    people = (
        User.objects.filter(is_active=True, groups__name__in=groups)
        .filter(_name_matches(query))
        .distinct()
        .order_by("first_name", "last_name", "username")
        .only("username", "first_name", "last_name")[:RESULTS]
    )
    return [{"value": u.username, "label": u.get_full_name() or u.username} for u in people]


def staff_people(query: str, group: str = "") -> list[dict]:
    people = User.objects.filter(is_active=True, is_staff=True).filter(_name_matches(query))
    if group:
        people = people.filter(groups__name=group)
    people = people.order_by("first_name", "last_name", "username").only(
        "username", "first_name", "last_name"
    )[:RESULTS]
    return [{"value": u.username, "label": u.get_full_name() or u.username} for u in people]


def groups_for_task(task: HumanTask, query: str) -> list[dict]:
    names = transfer_groups(task)
    query = query.strip().lower()
    existing = Group.objects.filter(name__in=names).values_list("name", flat=True)
    return [{"value": n, "label": n} for n in existing if query in n.lower()][:RESULTS]


def customers(query: str) -> list[dict]:
    from customers.models import Customer

    query = query.strip()
    if not query:
        return []
    found = Customer.objects.filter(
        Q(name__icontains=query) | Q(phone__contains=query) | Q(email__icontains=query)
    ).order_by("name", "id")[:RESULTS]
    return [{"value": c.id, "label": c.name, "tier": c.tier} for c in found]


def _name_matches(query: str) -> Q:
    condition = Q()
    for word in query.split():
        condition &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(username__icontains=word)
        )
    return condition


def parts(query: str) -> list[dict]:
    query = query.strip()
    if not query:
        return []
    return [
        {"value": sku, "label": with_code(name, sku)} for sku, name in find_parts(query, RESULTS)
    ]


def warehouses(query: str) -> list[dict]:
    """Few enough to list them all when nothing is typed yet."""
    return [
        {"value": code, "label": with_code(name, code)}
        for code, name in find_warehouses(query.strip(), RESULTS)
    ]
