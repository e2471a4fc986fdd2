from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "Organization, routing and service levels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.utils.translation import pgettext_lazy

        from definitions.decision_catalogue import register_platform_use
        from org import assignment, priority, refdata, sla

        refdata.connect()
        register_platform_use(assignment.DECISION_ID, pgettext_lazy("decisions", "Task assignment"))
        register_platform_use(priority.DECISION_ID, pgettext_lazy("decisions", "Intake priority"))
        register_platform_use(
            sla.DECISION_ID, pgettext_lazy("decisions", "Service levels and escalation")
        )
