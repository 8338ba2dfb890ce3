from django.contrib import admin

from coresync.accounting.models import (
    IncomeAccountMapping,
    LedgerReceipt,
    Mismatch,
    QuickBooksConnection,
    QuickBooksCustomer,
    ReconciliationRun,
)


@admin.register(QuickBooksConnection)
class QuickBooksConnectionAdmin(admin.ModelAdmin):
    """Tokens are never shown, only when they expire."""

    list_display = ("realm_id", "environment", "connected_at", "access_token_expires_at")
    fields = (
        "realm_id",
        "environment",
        "connected_at",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "refresh_count",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(IncomeAccountMapping)
class IncomeAccountMappingAdmin(admin.ModelAdmin):
    list_display = ("category", "account_id", "account_name", "item_id")


@admin.register(LedgerReceipt)
class LedgerReceiptAdmin(admin.ModelAdmin):
    list_display = ("entity", "kind", "txn_date", "total", "version", "status", "quickbooks_id")
    list_filter = ("status", "kind")
    search_fields = ("entity", "quickbooks_id")
    readonly_fields = [field.name for field in LedgerReceipt._meta.fields]


class MismatchInline(admin.TabularInline):
    model = Mismatch
    extra = 0
    readonly_fields = ("kind", "entity", "reference", "expected", "actual", "quickbooks_ids")


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ("day", "ran_at", "checked", "error")
    inlines = [MismatchInline]


@admin.register(QuickBooksCustomer)
class QuickBooksCustomerAdmin(admin.ModelAdmin):
    list_display = ("email", "quickbooks_id", "created_at")
    search_fields = ("email", "quickbooks_id")
