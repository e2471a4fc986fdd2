from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = "Pricing and settlement"

    def ready(self):
        from pricing import operators  # noqa: F401 - registers the service operators
