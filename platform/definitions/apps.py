from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "definitions"
    verbose_name = "Process and decision definitions"

    def ready(self):
        from django.conf import settings

        from bpmn import datastores, http_service, xmlsafe
        from definitions.data_stores import DatabaseStorage

        xmlsafe.MAX_BYTES = settings.FLOWDESK_MAX_UPLOAD_BYTES
        datastores.use_storage(DatabaseStorage())
        http_service.configure(
            allowed_hosts=tuple(getattr(settings, "FLOWDESK_HTTP_ALLOWED_HOSTS", ())),
            allow_private=getattr(settings, "FLOWDESK_HTTP_ALLOW_PRIVATE", False),
            timeout_s=getattr(settings, "FLOWDESK_HTTP_TIMEOUT_S", 10.0),
        )
