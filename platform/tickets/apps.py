from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_migrate

        from bpmn import limits
        from notify.fanout import set_audience_resolver
        from notify.rendering import set_redactor
        from tickets.notifying import audience
        from tickets.triggers import reinstall_after_migrate
        from tickets.visibility import notification_redaction

        limits.configure(
            script_timeout_s=settings.FLOWDESK_SCRIPT_TIMEOUT_S,
            script_memory_mb=settings.FLOWDESK_SCRIPT_MEMORY_MB,
            expression_timeout_ms=settings.FLOWDESK_EXPRESSION_TIMEOUT_MS,
        )
        set_redactor(notification_redaction)  # notifications are rendered per recipient
        set_audience_resolver(audience)  # who each notification rule reaches
        post_migrate.connect(reinstall_after_migrate, sender=self)
