from django.contrib import admin, messages
from django.db.models import Q

from . import services
from .models import OutboxMessage


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return OutboxMessage.State.choices

    def queryset(self, request, queryset):
        return {
            OutboxMessage.State.PENDING: queryset.pending(),
            OutboxMessage.State.DONE: queryset.done(),
            OutboxMessage.State.DEAD: queryset.dead(),
        }.get(self.value(), queryset)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only but for "Retry": messages are written by the code that queues work, handed out
    by the relay and marked done by the job."""

    list_display = (
        "task_name",
        "key",
        "created_at",
        "state",
        "runs",
        "attempts",
        "done_at",
        "next_attempt_at",
        "short_error",
    )
    list_filter = (StateFilter, "task_name")
    search_fields = ("task_name", "task_id", "key")
    ordering = ("-created_at",)
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("outbox.change_outboxmessage")

    @admin.display(description="state")
    def state(self, message):
        return message.state.label

    @admin.display(description="last error")
    def short_error(self, message):
        return message.last_error[:80]

    @admin.action(
        description="Retry the selected failed or pending tasks now", permissions=["retry"]
    )
    def retry(self, request, queryset):
        finished = queryset.filter(Q(done_at__isnull=False)).count()
        published = services.retry(queryset)
        self.message_user(request, f"{published} task(s) handed out again.", messages.SUCCESS)
        if finished:
            self.message_user(
                request, f"{finished} task(s) were done already; not run again.", messages.WARNING
            )
