from django.contrib import admin

from scheduling.models import Booking, Resource, Service


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "user", "calendar", "active")
    list_filter = ("kind", "region", "active")
    filter_horizontal = ("skills",)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "minutes", "skill", "resource_kind", "remind_minutes")


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("resource", "starts_at", "ends_at", "status", "ticket_number")
    list_filter = ("status", "resource")
    # Bookings change through scheduling.actions (overlap checks, timeline): read-only here.
    readonly_fields = [f.name for f in Booking._meta.fields]

    def has_add_permission(self, request):
        return False
