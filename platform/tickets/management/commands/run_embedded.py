"""Serve the web app with the embedded worker thread (the `make run` default, no Redis)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tickets.worker import start_embedded_worker


class Command(BaseCommand):
    help = "runserver plus an in-process worker for timers and notifications"

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, addrport, **options):
        start_embedded_worker()
        self.stdout.write("embedded worker started (timers, notifications)")
        call_command("runserver", addrport, use_reloader=False)
