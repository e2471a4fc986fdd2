from django import forms
from django.contrib import admin

from definitions.models import ProcessVersion
from intake.actions import do_publish_intake, do_unpublish_intake
from intake.models import PublicForm


class PublicFormForm(forms.ModelForm):
    class Meta:
        model = PublicForm
        fields = ("process_key", "enabled", "rate_limit_per_hour")

    def clean_process_key(self) -> str:
        key = self.cleaned_data["process_key"].strip()
        if not ProcessVersion.objects.filter(key=key).exists():
            raise forms.ValidationError(f"no process {key!r} is deployed")
        return key

    def clean_rate_limit_per_hour(self) -> int:
        rate = self.cleaned_data["rate_limit_per_hour"]
        if rate < 1:
            raise forms.ValidationError("the hourly limit must be at least 1")
        return rate


@admin.register(PublicForm)
class PublicFormAdmin(admin.ModelAdmin):
    """Changes go through the same actions as the command."""

    form = PublicFormForm
    list_display = ("process_key", "enabled", "rate_limit_per_hour", "published_by", "published_at")

    def save_model(self, request, obj, form, change):
        if obj.enabled:
            saved = do_publish_intake(
                request.user, obj.process_key, rate_limit_per_hour=obj.rate_limit_per_hour
            )
        else:
            if not PublicForm.objects.filter(process_key=obj.process_key).exists():
                do_publish_intake(request.user, obj.process_key)  # recorded, then closed
            saved = do_unpublish_intake(request.user, obj.process_key)
        obj.pk = saved.pk
