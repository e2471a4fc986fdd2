from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        """The embedded worker (`make run`, no Celery beat) rolls up the metrics too, as
        often as beat would."""
        from django.conf import settings

        from analytics.actions import do_rollup_pending, do_rollup_today
        from tickets.worker import EXTRA_SWEEPS, Every

        beat = getattr(settings, "CELERY_BEAT_SCHEDULE", {})
        for name, sweep in (
            ("analytics-rollup", do_rollup_pending),
            ("analytics-rollup-today", do_rollup_today),
        ):
            if not any(getattr(known, "sweep", None) is sweep for known in EXTRA_SWEEPS):
                EXTRA_SWEEPS.append(Every(float(beat.get(name, {}).get("schedule", 300)), sweep))
