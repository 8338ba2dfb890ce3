"""Admin for people: the email-keyed user, with the memberships they hold (SPEC §2)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from coresync.accounts.models import Role, User
from coresync.accounts.services import set_role
from coresync.memberships.models import Membership

MANAGER_ONLY_FIELDS = (
    "role",
    "is_active",
    "is_staff",
    "is_superuser",
    "groups",
    "user_permissions",
)
"""What only a manager may change on a person: their role and access (the front desk edits
customers' details, never anyone's permissions)."""


def _normalized_email(email: str) -> str:
    """Return ``email`` as :class:`~coresync.accounts.models.UserManager` stores it."""
    return User.objects.normalize_email(email).lower()


class SpaUserCreationForm(UserCreationForm):
    """Create a user from an email, a name, a role and a password typed twice."""

    class Meta:
        model = User
        fields = ("email", "name", "role")

    def clean_email(self) -> str:
        return _normalized_email(self.cleaned_data["email"])


class SpaUserChangeForm(UserChangeForm):
    """Edit a user; the password is changed on its own page, never shown."""

    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _normalized_email(self.cleaned_data["email"])


class MembershipInline(admin.TabularInline):
    """The user's memberships, read here and edited on the membership's own page."""

    model = Membership
    fk_name = "customer"
    fields = ("plan", "status", "started_on", "ends_on", "credits_used")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("plan")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Customers and staff, found by email, name or phone."""

    form = SpaUserChangeForm
    add_form = SpaUserCreationForm
    list_display = ("email", "name", "role", "is_active", "is_staff", "date_joined")
    list_filter = ("role", "is_staff", "is_active", "is_superuser", "groups")
    search_fields = ("email", "name", "phone")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            "Personal info",
            {"fields": ("name", "phone", "birthday", "emergency_contact", "marketing_consent")},
        ),
        ("Preferences", {"fields": ("preferences", "notification_preferences")}),
        ("Role and permissions", {"fields": MANAGER_ONLY_FIELDS}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "password1", "password2"),
            },
        ),
    )
    inlines = [MembershipInline]

    def get_inlines(self, request, obj):
        # The add form is the short email + password form; memberships come after.
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_manager:
            readonly += MANAGER_ONLY_FIELDS
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and not request.user.is_manager and "role" in form.base_fields:
            # The front desk creates customers only.
            form.base_fields["role"].choices = [(Role.CUSTOMER.value, Role.CUSTOMER.label)]
        return form

    def has_change_permission(self, request, obj=None) -> bool:
        """Only a manager changes a staff account (its password included): the front desk
        changes customers."""
        if (
            obj is not None
            and not request.user.is_manager
            and (obj.role != Role.CUSTOMER or obj.is_staff or obj.is_superuser)
        ):
            return False
        return super().has_change_permission(request, obj)

    def save_related(self, request, form, formsets, change) -> None:
        """Save the groups and memberships, then apply a new role through the role service
        (its group, permissions and admin access follow the role)."""
        super().save_related(request, form, formsets, change)
        if not change or "role" in form.changed_data:
            set_role(form.instance, form.instance.role)
