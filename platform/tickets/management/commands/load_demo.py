"""Demo organisation: the cast of the tests, their groups, and every process deployed."""

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
]
LIBRARY_GROUPS = ("store_managers", "warehouse", "warehouse_east", "teachers", "directors")
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
        """Service items, parts and stock of the auto-repair example (processes/catalog/)."""
        from pricing.actions import do_import_catalog_folder

        reports = do_import_catalog_folder(settings.PROCESSES_DIR / "catalog", by=admin)
        for kind, report in reports.items():
            problems = "; ".join(f"line {e.line}: {e.message}" for e in report.errors)
            self.stdout.write(
                f"pricing {kind}: {report.rows} rows" + (f" ({problems})" if problems else "")
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
                do_start_ticket(
                    agent, template.key, demo["data"], title=demo["title"], correlation_key=key
                )
                raised += 1
        self.stdout.write(f"library demo tickets: {raised} raised")
