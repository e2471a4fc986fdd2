"""`{% load visibility %}{% redacted ticket value %}`: `value` as the page's reader may see it
on `ticket` (titles in lists, messages): the same function the API uses."""

from django import template

from tickets.visibility import Reader, reader_for

register = template.Library()


@register.simple_tag(takes_context=True)
def redacted(context, ticket, value):
    request = context.get("request")
    reader = reader_for(request) if request is not None else Reader.nobody()
    return reader.view(ticket).value(value)
