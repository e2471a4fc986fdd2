from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "definitions"
    verbose_name = "Process and decision definitions"

    def ready(self):
        from django.conf import settings

        from bpmn import xmlsafe

        xmlsafe.MAX_BYTES = settings.FLOWDESK_MAX_UPLOAD_BYTES
