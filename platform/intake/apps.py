from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake channels"

    def ready(self) -> None:
        from django.conf import settings

        if getattr(settings, "IMAP_URL", ""):  # the embedded worker polls the mailbox too
            from intake.imap import poll_imap
            from tickets.worker import EXTRA_SWEEPS

            if poll_imap not in EXTRA_SWEEPS:
                EXTRA_SWEEPS.append(poll_imap)
