from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from notify import operators  # noqa: F401  (registers the notify.send operator)
        from notify.preferences import remember_language

        user_logged_in.connect(remember_language, dispatch_uid="notify.remember_language")
