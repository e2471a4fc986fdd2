from django.contrib import admin

from pricing.models import (
    CustomerTier,
    Part,
    Region,
    Reservation,
    ServiceItem,
    StockLevel,
    Warehouse,
)


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "unit", "base_price", "tax_rate", "active")
    search_fields = ("code", "name")
    list_filter = ("category", "active")


class StockInline(admin.TabularInline):
    model = StockLevel
    extra = 0
    readonly_fields = ("reserved",)


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "unit_cost", "unit_price", "reorder_level")
    search_fields = ("sku", "name")
    inlines = [StockInline]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ("ticket_id", "stock", "quantity", "state", "created_at")
    list_filter = ("state",)
    search_fields = ("ticket_id",)
    readonly_fields = ("ticket_id", "stock", "quantity", "state", "created_at", "closed_at")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "coefficient")


@admin.register(CustomerTier)
class CustomerTierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "discount_rate")
