from django.core.management.base import BaseCommand

from integrations.actions import do_purge_idempotency_keys


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than 24 hours."

    def handle(self, *args, **options):
        self.stdout.write(f"deleted {do_purge_idempotency_keys()} idempotency keys")
