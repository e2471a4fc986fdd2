from django.contrib import admin

from pricing.models import (
    CreditNote,
    CreditNoteLine,
    CustomerTier,
    Part,
    Refund,
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


class CreditNoteLineInline(admin.TabularInline):
    model = CreditNoteLine
    extra = 0
    can_delete = False
    readonly_fields = ("line", "description", "amount", "tax")


@admin.register(CreditNote)
class CreditNoteAdmin(admin.ModelAdmin):
    """Read-only: credit notes are issued through the API or pricing.corrections."""

    list_display = ("number", "settlement", "total", "reason", "created_at")
    search_fields = ("number", "settlement__ticket_id")
    readonly_fields = ("settlement", "sequence", "number", "reason", "subtotal", "tax", "total")
    inlines = [CreditNoteLineInline]

    def has_add_permission(self, request):
        return False


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ("payment", "amount", "reason", "refunded_at")
    readonly_fields = ("payment", "key", "amount", "reason", "reference", "refunded_at")

    def has_add_permission(self, request):
        return False
