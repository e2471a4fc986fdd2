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
]
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
        call_command("deploy", str(settings.PROCESSES_DIR), stdout=self.stdout)
        # The demo's public forms (/intake/<key>/); other templates stay staff-only.
        call_command("publish_intake", "repair", "inquiry", stdout=self.stdout)
        self.stdout.write("demo logins (password 'flowdesk'): " + ", ".join(c[0] for c in CAST))

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
        for name in ("agents", "dispatchers", "technicians", "finance"):
            group = Group.objects.get_or_create(name=name)[0]
            do_save_group_profile(admin, group, supervisor=supervisor, calendar=office)
        from scheduling.demo import seed_demo_resources

        seed_demo_resources(office)  # rooms and doctors the appointment templates book
