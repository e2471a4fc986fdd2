from celery import shared_task

from scheduling.reminders import send_due_reminders


@shared_task(
    name="scheduling.send_due_reminders", acks_late=True, time_limit=120, ignore_result=True
)
def send_due_reminders_task() -> int:
    return send_due_reminders()
