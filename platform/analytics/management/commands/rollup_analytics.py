"""Roll up finished days for the dashboard (what the hourly beat task does), e.g. from cron
where no Celery beat runs, or `--day 2026-11-23` to recompute one day."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from analytics.actions import do_rollup, do_rollup_pending


class Command(BaseCommand):
    help = "Roll up finished days of ticket metrics (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="one local day to recompute, YYYY-MM-DD")
        parser.add_argument("--limit", type=int, default=400, help="days per run (pending mode)")

    def handle(self, *args, day=None, limit=400, **options):
        if day:
            try:
                rows = do_rollup(dt.date.fromisoformat(day))
            except ValueError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"{day}: {rows} rows")
            return
        rolled = do_rollup_pending(limit=limit)
        self.stdout.write(f"rolled up {len(rolled)} day(s)")
