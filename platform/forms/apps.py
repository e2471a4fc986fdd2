from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "forms"
    label = "ticket_forms"  # "forms" would clash with django.forms
    verbose_name = "Forms and fields"
