"""Comments written before the conversation existed ("commented" events) become messages:
the customer's (portal, e-mail) public, staff comments internal notes."""

from django.db import migrations

CUSTOMER_SOURCES = ("customer", "email", "portal")


def forwards(apps, schema_editor):
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    TicketMessage = apps.get_model("tickets", "TicketMessage")
    for event in TicketEvent.objects.filter(kind="commented").order_by("id").iterator():
        detail = event.detail or {}
        customer = detail.get("source") in CUSTOMER_SOURCES
        message = TicketMessage.objects.create(
            ticket_id=event.ticket_id,
            author_id=None if customer else event.actor_id,
            author_kind="customer" if customer else "staff",
            author_name=str(detail.get("from", ""))[:200],
            visibility="public" if customer else "internal",
            body=detail.get("body") or "",
            source=str(detail.get("source") or "web")[:16],
        )
        TicketMessage.objects.filter(id=message.id).update(created_at=event.at)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_ticket_messages")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
