"""python manage.py ingest_email message.eml [--process KEY]   ("-" reads standard input)"""

import sys

from django.core.management.base import BaseCommand, CommandError

from intake.actions import do_ingest_email
from tickets import actions as ticket_actions


class Command(BaseCommand):
    stealth_options = ("stdin",)  # tests pass a stream instead of the real standard input
    help = "Turn an RFC 822 message into a ticket, or a comment on the ticket it answers."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .eml file, or - for standard input")
        parser.add_argument("--process", default="", help="process key of new tickets")

    def handle(self, *args, file, process, **options):
        try:
            if file == "-":
                stream = options.get("stdin") or sys.stdin.buffer
                raw = stream.read()
                raw = raw.encode() if isinstance(raw, str) else raw
            else:
                with open(file, "rb") as handle:
                    raw = handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            outcome = do_ingest_email(raw, process_key=process or None)
        except ticket_actions.ActionError as exc:
            raise CommandError(str(exc)) from exc
        if outcome.action == "duplicate":
            self.stdout.write(f"ignored {outcome.email.message_id}: received before")
            return
        verb = "created" if outcome.action == "created" else "commented on"
        self.stdout.write(f"{verb} {outcome.ticket.number}")
