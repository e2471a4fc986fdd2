"""Celery task of the intake channels (beat runs it every minute when IMAP_URL is set)."""

from celery import shared_task

from intake.imap import poll_imap


@shared_task(name="intake.poll_imap", acks_late=True, time_limit=120, ignore_result=True)
def poll_imap_task() -> int:
    return poll_imap()
