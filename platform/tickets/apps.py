from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from notify.rendering import set_redactor
        from tickets.visibility import notification_redaction

        set_redactor(notification_redaction)  # notifications are rendered per recipient
