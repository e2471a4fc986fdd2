from celery import shared_task

from integrations.actions import do_purge_idempotency_keys


@shared_task(name="integrations.purge_idempotency_keys", acks_late=True, time_limit=120)
def purge_idempotency_keys_task() -> int:
    return do_purge_idempotency_keys()
