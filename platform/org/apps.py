from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "Organization, routing and service levels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from org import refdata

        refdata.connect()
