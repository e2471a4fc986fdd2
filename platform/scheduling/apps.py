from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Appointments and dispatch"

    def ready(self) -> None:
        from scheduling import operators  # noqa: F401 - registers the service operators
