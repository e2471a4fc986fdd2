from django import forms
from django.contrib import admin, messages

from notify.actions import InvalidState, do_resend, do_subscribe_webhook
from notify.models import (
    ChannelName,
    ChannelPreference,
    InAppMessage,
    NotificationRule,
    NotificationTemplate,
    OutboxMessage,
    Recipient,
    RuleTemplate,
    WebhookSubscription,
)
from notify.rendering import RenderError, check_template
from notify.webhooks import BadWebhookUrl, check_webhook_url


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


class WebhookSubscriptionForm(forms.ModelForm):
    """The API's URL check: no loopback, private or link-local receivers."""

    class Meta:
        model = WebhookSubscription
        fields = ["url", "event_types", "scope", "active"]

    def clean_url(self):
        try:
            return check_webhook_url(self.cleaned_data["url"])
        except BadWebhookUrl as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """New subscriptions go through do_subscribe_webhook like the API's: a generated
    signing secret, shown once in the confirmation message."""

    form = WebhookSubscriptionForm
    list_display = ["id", "url", "event_types", "scope", "active", "created_by"]

    def save_model(self, request, obj, form, change):
        if change:
            if obj.scope == WebhookSubscription.Scope.STAFF and obj.created_by is None:
                obj.created_by = request.user  # a staff view is someone's view
            obj.save(update_fields=["url", "event_types", "scope", "active", "created_by"])
            return
        created = do_subscribe_webhook(
            url=obj.url,
            event_types=obj.event_types or ["*"],
            created_by=request.user,
            scope=obj.scope,
        )
        if not obj.active:
            created.active = False
            created.save(update_fields=["active"])
        obj.pk, obj.secret, obj.created_at = created.pk, created.secret, created.created_at
        obj.created_by = request.user
        self.message_user(
            request,
            f"Signing secret for {created.url} (shown this once): {created.secret}",
            messages.WARNING,
        )


admin.site.register(ChannelPreference)
admin.site.register(InAppMessage)


class RuleForm(forms.ModelForm):
    class Meta:
        model = NotificationRule
        fields = [
            "key",
            "event_kind",
            "enabled",
            "channels",
            "recipients",
            "bpmn_ids",
            "conditions",
            "urgent",
            "description",
        ]

    def _names(self, field: str, allowed: set[str]) -> list[str]:
        value = self.cleaned_data.get(field)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError('a list of names, e.g. ["inapp", "email"]')
        unknown = set(value) - allowed
        if unknown:
            raise forms.ValidationError(f"unknown: {', '.join(sorted(unknown))}")
        return value

    def clean_channels(self):
        return self._names("channels", set(ChannelName.values) - {ChannelName.WEBHOOK})

    def clean_recipients(self):
        return self._names("recipients", set(Recipient.values))


class RuleTemplateForm(forms.ModelForm):
    class Meta:
        model = RuleTemplate
        fields = ["rule", "language", "subject", "body"]

    def clean(self):
        cleaned = super().clean()
        for name in ("subject", "body"):
            try:
                check_template(cleaned.get(name) or "")
            except RenderError as exc:
                self.add_error(name, str(exc))
        return cleaned


class RuleTemplateInline(admin.StackedInline):
    model = RuleTemplate
    form = RuleTemplateForm
    extra = 0


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    """Each rule: on/off, channels, recipients, and its text per language."""

    form = RuleForm
    inlines = [RuleTemplateInline]
    list_display = ["key", "event_kind", "enabled", "channels", "recipients", "description"]
    list_filter = ["enabled", "event_kind"]
    list_editable = ["enabled"]
