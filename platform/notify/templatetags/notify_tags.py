"""{% notify_bell %}: the navigation bar's bell with the unread count (notify.js keeps it
current from the inbox's event stream)."""

from django import template

from notify.queries import bell

register = template.Library()


@register.inclusion_tag("notify/_bell.html", takes_context=True)
def notify_bell(context):
    unread, latest = bell(context["user"])
    return {"unread": unread, "latest": latest}
