"""`{% suggested_articles ticket title %}`: the ticket page's suggestions (staff only; a
template tag, so the tickets app imports nothing from here)."""

from django import template

from knowledge.queries import suggested_for

register = template.Library()


@register.inclusion_tag("knowledge/_suggested.html", takes_context=True)
def suggested_articles(context, ticket, title=""):
    user = context.get("user")
    if user is None or not user.is_staff:
        return {"articles": [], "show": False}
    category = str((ticket.data or {}).get("category") or "")
    articles = suggested_for(ticket.process_version.key, category, title or "")
    return {"articles": articles, "show": True, "ticket": ticket}
