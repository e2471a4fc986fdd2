from django.contrib import admin

from customers.models import Contact, Customer, Opportunity


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "phone", "email", "wecom_id", "external_id", "created_at")
    list_filter = ("tier",)
    search_fields = ("name", "phone", "email", "wecom_id", "external_id")
    inlines = [ContactInline]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("title", "customer", "amount", "stage", "created_at")
    list_filter = ("stage",)
