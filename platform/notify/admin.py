from django.contrib import admin, messages

from notify.actions import InvalidState, do_resend
from notify.models import (
    ChannelPreference,
    InAppMessage,
    NotificationTemplate,
    OutboxMessage,
    WebhookSubscription,
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "event_type", "recipient", "address", "state", "attempts"]
    list_filter = ["state", "channel", "urgent"]
    search_fields = ["event_type", "address", "idempotency_key", "=ticket_id"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["resend"]

    @admin.action(description="Resend failed/dead messages")
    def resend(self, request, queryset):
        done = 0
        for message_id in queryset.values_list("id", flat=True):
            try:
                do_resend(message_id, by=request.user)
                done += 1
            except InvalidState as exc:
                self.message_user(request, str(exc), messages.WARNING)
        self.message_user(request, f"{done} message(s) queued again")

    def has_add_permission(self, request):
        return False


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    list_display = ["event_type", "channel", "subject", "active"]
    list_filter = ["channel", "active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["id", "url", "event_types", "active", "created_by"]
    exclude = ["secret"]


admin.site.register(ChannelPreference)
admin.site.register(InAppMessage)
