from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = "Pricing and settlement"

    def ready(self):
        from django.utils.translation import pgettext_lazy

        from definitions.decision_catalogue import register_platform_use
        from pricing import operators, rules  # noqa: F401 - operators registers the services

        register_platform_use(
            rules.DECISION_ID, pgettext_lazy("decisions", "Settlements"), "pricing:simulate"
        )
