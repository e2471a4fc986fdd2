from django.contrib import admin

from org.models import (
    AgentProfile,
    BusinessCalendar,
    CalendarException,
    Department,
    GroupProfile,
    SkillTag,
)


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone")
    inlines = [CalendarExceptionInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent", "head", "region")
    filter_horizontal = ("members",)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "on_duty", "capacity", "region", "supervisor")
    list_filter = ("on_duty", "region")
    filter_horizontal = ("skills",)


admin.site.register(SkillTag)
admin.site.register(GroupProfile)
