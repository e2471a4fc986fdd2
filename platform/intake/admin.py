from django.contrib import admin

from intake.actions import do_publish_intake, do_unpublish_intake
from intake.models import PublicForm


@admin.register(PublicForm)
class PublicFormAdmin(admin.ModelAdmin):
    """Changes go through the same actions as the command (the template must be deployed)."""

    list_display = ("process_key", "enabled", "rate_limit_per_hour", "published_by", "published_at")
    fields = ("process_key", "enabled", "rate_limit_per_hour")

    def save_model(self, request, obj, form, change):
        if obj.enabled:
            saved = do_publish_intake(
                request.user, obj.process_key, rate_limit_per_hour=obj.rate_limit_per_hour
            )
        else:
            saved = do_unpublish_intake(request.user, obj.process_key)
        obj.pk = saved.pk
