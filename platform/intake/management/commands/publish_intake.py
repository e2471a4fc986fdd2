"""`manage.py publish_intake repair inquiry [--rate 60] [--off]`: open (or close) the
anonymous form of deployed templates."""

from django.core.management.base import BaseCommand, CommandError

from intake.actions import do_publish_intake, do_unpublish_intake
from tickets.errors import ActionError


class Command(BaseCommand):
    help = "Publish the public intake form (/intake/<key>/) of deployed process templates."

    def add_arguments(self, parser):
        parser.add_argument("process_keys", nargs="+")
        parser.add_argument("--rate", type=int, default=None, help="submissions per hour")
        parser.add_argument("--off", action="store_true", help="unpublish instead")

    def handle(self, *args, process_keys, rate, off, **options):
        for key in process_keys:
            try:
                if off:
                    do_unpublish_intake(None, key)
                    self.stdout.write(f"unpublished /intake/{key}/")
                else:
                    form = do_publish_intake(None, key, rate_limit_per_hour=rate)
                    self.stdout.write(
                        f"published /intake/{key}/ ({form.rate_limit_per_hour} per hour)"
                    )
            except (ActionError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
