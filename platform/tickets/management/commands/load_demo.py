"""Demo organisation: the cast of the tests, their groups, and every process deployed."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.core.management.base import BaseCommand

CAST = [
    # username, full name, groups, superuser
    ("alice", "Alice Agent", ["agents", "dispatchers"], False),
    ("tom", "Tom Technician", ["technicians"], False),
    ("bob", "Bob Supervisor", ["supervisors", "agents"], False),
    ("carol", "Carol Finance", ["finance"], False),
    ("dave", "Dave Admin", [], True),
    # The template library's roles (processes/catalog.json)
    ("lin", "Lin Storemanager", ["store_managers"], False),
    ("wei", "Wei Warehouse", ["warehouse", "warehouse_east"], False),
    ("zhou", "Zhou Teacher", ["teachers"], False),
    ("qian", "Qian Director", ["directors"], False),
    ("mei", "Mei Dispatcher", ["key_account_dispatchers"], False),
    ("jun", "Jun Fieldtech", ["technicians"], False),
    ("kai", "Kai Fieldtech", ["technicians"], False),
    ("ling", "Ling Fieldtech", ["technicians"], False),
]
LIBRARY_GROUPS = (
    "store_managers",
    "warehouse",
    "warehouse_east",
    "teachers",
    "directors",
    "key_account_dispatchers",
)
# A demo step's data may say "@next_workday" for a date: the next Monday to Friday after
# today in Shanghai, so a demo visit is booked on a day the technicians work.
NEXT_WORKDAY = "@next_workday"
DEMO_PASSWORD = "flowdesk"


class Command(BaseCommand):
    help = "Create the demo users (password 'flowdesk') and deploy processes/."

    def handle(self, *args, **options):
        deploy = Permission.objects.get(codename="add_processversion")
        for username, full_name, groups, superuser in CAST:
            user, created = User.objects.get_or_create(username=username)
            first, last = full_name.split(" ", 1)
            user.first_name, user.last_name = first, last
            user.email = user.email or f"{username}@flowdesk.example"  # the demo's mail
            user.is_staff = True
            user.is_superuser = superuser
            if created:
                user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get_or_create(name=g)[0] for g in groups])
            if username == "bob":
                user.user_permissions.add(deploy)
        self._org(User.objects.get(username="dave"), User.objects.get(username="bob"))
        self._notifications()
        self._pricing_catalog(User.objects.get(username="dave"))
        call_command("deploy", str(settings.PROCESSES_DIR), stdout=self.stdout)
        # The demo's public forms (/intake/<key>/); other templates stay staff-only.
        call_command("publish_intake", "repair", "inquiry", stdout=self.stdout)
        self._library_tickets(User.objects.get(username="alice"))
        self.stdout.write("demo logins (password 'flowdesk'): " + ", ".join(c[0] for c in CAST))

    def _pricing_catalog(self, admin):
        """Service items, parts and stock of the auto-repair example (processes/catalog/) and
        of equipment maintenance (processes/catalog/equipment/)."""
        from pricing.actions import do_import_catalog_folder

        folder = settings.PROCESSES_DIR / "catalog"
        for label, path in (("", folder), ("equipment ", folder / "equipment")):
            for kind, report in do_import_catalog_folder(path, by=admin).items():
                problems = "; ".join(f"line {e.line}: {e.message}" for e in report.errors)
                self.stdout.write(
                    f"pricing {label}{kind}: {report.rows} rows"
                    + (f" ({problems})" if problems else "")
                )

    def _notifications(self):
        """The default notification rules (seeded by notify's migration; a deleted one comes
        back): mail goes to EMAIL_URL's backend, the console by default, and the inbox."""
        from notify.default_rules import seed_rules
        from notify.models import NotificationRule, RuleTemplate

        restored = seed_rules(NotificationRule, RuleTemplate)
        enabled = NotificationRule.objects.filter(enabled=True).count()
        self.stdout.write(f"notification rules: {enabled} enabled ({restored} restored)")

    def _org(self, admin, supervisor):
        """A Shanghai office calendar for every team, supervised by bob (SLA escalations)."""
        from org.actions import do_save_calendar, do_save_group_profile

        day = [["09:00", "12:00"], ["13:00", "18:00"]]
        office = do_save_calendar(
            admin, "default", hours={d: day for d in ("mon", "tue", "wed", "thu", "fri")}
        )
        for name in ("agents", "dispatchers", "technicians", "finance", *LIBRARY_GROUPS):
            group = Group.objects.get_or_create(name=name)[0]
            do_save_group_profile(admin, group, supervisor=supervisor, calendar=office)
        from scheduling.demo import seed_demo_resources

        seed_demo_resources(office)  # rooms and doctors the appointment templates book

    def _library_tickets(self, agent):
        """The demo tickets of every library template, raised once (each has its own
        correlation key, so a second load_demo finds them and raises nothing)."""
        from definitions.library import catalog
        from tickets.actions import do_start_ticket
        from tickets.models import Ticket

        raised = 0
        for template in catalog().templates:
            for n, demo in enumerate(template.demo_tickets, 1):
                key = demo.get("correlation_key") or f"demo-{template.key}-{n}"
                if Ticket.objects.filter(correlation_key=key).exists():
                    continue
                ticket = do_start_ticket(
                    agent,
                    template.key,
                    demo["data"],
                    title=demo["title"],
                    correlation_key=key,
                    customer=_customer_of(demo["data"]),
                )
                for step in demo.get("steps", ()):
                    _take_step(ticket, step["task"], step.get("data", {}))
                raised += 1
        self.stdout.write(f"library demo tickets: {raised} raised")


def _take_step(ticket, bpmn_id: str, data: dict) -> None:
    """Complete the demo ticket's open step as the person who would: its assignee, else the
    first member of its groups (claiming it), so demo tickets stand at different steps."""
    from tickets.actions import OPEN_STATES, do_claim_task, do_complete_task
    from tickets.models import HumanTask

    task = HumanTask.objects.get(ticket=ticket, bpmn_id=bpmn_id, state__in=OPEN_STATES)
    user = task.assignee or (
        User.objects.filter(groups__in=task.candidate_groups.all()).order_by("id").first()
    )
    if task.assignee_id is None:
        do_claim_task(user, task.id)
    values = {k: _next_workday() if v == NEXT_WORKDAY else v for k, v in data.items()}
    do_complete_task(user, task.id, values)


def _next_workday() -> str:
    day = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day.isoformat()


def _customer_of(data: dict):
    """The demo ticket's customer, linked by phone as intake links them (with the tier the
    demo gives), so lists and the ticket page show who raised it; None for a form that
    names no customer (the school's forms name a parent)."""
    from customers.actions import do_link_customer, do_set_tier
    from customers.models import Customer

    if not data.get("customer_name") or not data.get("customer_phone"):
        return None
    identity = {"name": data["customer_name"], "phone": data["customer_phone"]}
    customer, created = do_link_customer(identity)
    if created and data.get("customer_tier") in Customer.Tier.values:
        customer = do_set_tier(customer.id, data["customer_tier"])
    return customer
