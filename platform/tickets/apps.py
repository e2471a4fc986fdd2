from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self):
        from django.conf import settings

        from bpmn import limits

        limits.configure(
            script_timeout_s=settings.FLOWDESK_SCRIPT_TIMEOUT_S,
            script_memory_mb=settings.FLOWDESK_SCRIPT_MEMORY_MB,
            expression_timeout_ms=settings.FLOWDESK_EXPRESSION_TIMEOUT_MS,
        )
