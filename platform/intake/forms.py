"""The contact part of the public form (the process's own start fields come from its
start form), with the honeypot a person never sees and a bot fills in."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from customers.identity import normalize_phone

HONEYPOT = "website"


def intake_categories() -> list[str]:
    return list(getattr(settings, "FLOWDESK_INTAKE_CATEGORIES", []))


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=80)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    title = forms.CharField(label=_("Subject"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What can we help with?"), max_length=2000, widget=forms.Textarea
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    website = forms.CharField(label=_("Leave this empty"), required=False)  # the honeypot

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = intake_categories()
        if categories:
            self.fields["category"].choices = [("", "—"), *[(c, c) for c in categories]]
        else:
            del self.fields["category"]

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "")
        if raw and not normalize_phone(raw):
            raise forms.ValidationError(_("Enter a phone number we can call."))
        return raw.strip()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email") and not self.errors:
            raise forms.ValidationError(_("Leave a phone number or an e-mail address."))
        return cleaned

    def cleaned_data_for_submission(self) -> dict:
        keys = ("name", "phone", "email", "title", "description", "category")
        return {key: self.cleaned_data.get(key) or "" for key in keys}

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())


class PortalLinkForm(forms.Form):
    """Ask for a link to all one's tickets, by e-mail or by SMS (either, or both)."""

    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        if raw and not normalize_phone(raw):
            raise forms.ValidationError(_("Enter a mobile number we can text."))
        return raw

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone") and not self.errors:
            raise forms.ValidationError(_("Enter your e-mail address or your mobile number."))
        return cleaned
