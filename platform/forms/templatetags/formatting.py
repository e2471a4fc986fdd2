"""``{% load formatting %}``: ``{{ amount|money }}``, ``{{ amount|money:"USD" }}`` (see
forms.display)."""

from django import template

from forms.display import money_text

register = template.Library()


@register.filter
def money(value, currency: str = "CNY") -> str:
    return "" if value is None or value == "" else money_text(value, currency)
