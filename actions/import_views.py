"""Bulk update from a spreadsheet: upload a state's update file, preview, confirm.

Between preview and confirm the parsed rows travel in a signed, size-limited form field that
also names the user and the state: the state always comes from the access policy, and a
field signed for another user, another state or too long ago is refused.
"""

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.policy import can_edit_status, editable_state

from .models import Plan
from .national_views import national_access_required
from .services import StatusConflict
from .status_import import (
    ENCODINGS,
    ImportChanged,
    ImportFileError,
    max_file_size,
    plan_status_import,
    read_update_file,
    status_import_apply,
)

SALT = "actions.status_import"
PAYLOAD_MAX_AGE = 2 * 60 * 60  # seconds a preview can be confirmed
DOCS = "docs/downloads.md#bulk-update-from-a-spreadsheet"


def _importing_state(user):
    """The user's own state and the current plan, when they may update its statuses now."""
    state = editable_state(user)
    plan = Plan.objects.current()
    if state is None or plan is None or not can_edit_status(user, state, plan):
        raise PermissionDenied("Only focal points and coordinators update their own state.")
    return state, plan


@national_access_required
@require_http_methods(["GET", "HEAD", "POST"])
def status_import(request):
    state, plan = _importing_state(request.user)
    context = {"state": state, "plan": plan, "encodings": ENCODINGS, "docs": DOCS}
    context["max_size"] = max_file_size()
    if request.method != "POST":
        return render(request, "national/status_import.html", context)
    upload = request.FILES.get("file")
    encoding = request.POST.get("encoding", "")
    try:
        if upload is None:
            raise ImportFileError("Choose the update file to upload.")
        if upload.size > max_file_size():
            raise ImportFileError(
                f"The file is {upload.size:,} bytes; the limit is {max_file_size():,} bytes."
            )
        update_file = read_update_file(upload.read(), encoding=encoding)
    except ImportFileError as error:
        context["error"] = str(error)
        return render(request, "national/status_import.html", context, status=400)
    payload = signing.dumps(
        {"user": request.user.pk, "state": state.pk, "name": upload.name[:200]}
        | {"rows": update_file.rows, "notes": update_file.notes},
        salt=SALT,
        compress=True,
    )
    if len(payload) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2:
        context["error"] = "This file holds too much text to import at once; split it in two."
        return render(request, "national/status_import.html", context, status=400)
    import_plan = plan_status_import(user=request.user, member_state=state, rows=update_file.rows)
    return _preview(request, import_plan, payload, upload.name, update_file.notes)


def _preview(request, import_plan, payload, name, notes, status=200, **extra):
    context = {
        "plan": import_plan.plan,
        "outcomes": import_plan.outcomes,
        "counts": import_plan.counts(),
        "fingerprint": import_plan.fingerprint(),
        "payload": payload,
        "file_name": name,
        "notes": notes,
        "docs": DOCS,
        **extra,
    }
    return render(request, "national/status_import_preview.html", context, status=status)


@national_access_required
@require_POST
def status_import_confirm(request):
    state, _ = _importing_state(request.user)
    try:
        data = signing.loads(request.POST.get("payload", ""), salt=SALT, max_age=PAYLOAD_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, "This preview has expired or is damaged: upload the file again.")
        return redirect("national:status_import")
    if data.get("user") != request.user.pk or data.get("state") != state.pk:
        raise PermissionDenied("This preview was made for someone else.")
    rows, payload = data["rows"], request.POST["payload"]
    try:
        applied = status_import_apply(
            user=request.user,
            member_state=state,
            rows=rows,
            fingerprint=request.POST.get("fingerprint", ""),
        )
    except ImportChanged as changed:
        return _preview(
            request, changed.plan, payload, data["name"], data["notes"], 409, changed=True
        )
    except (StatusConflict, ValidationError):
        fresh = plan_status_import(user=request.user, member_state=state, rows=rows)
        return _preview(request, fresh, payload, data["name"], data["notes"], 409, changed=True)
    count = len(applied.changes)
    messages.success(
        request,
        f"Saved {count} change{'s' if count != 1 else ''} from {data['name']}."
        if count
        else "Nothing to save: the file matches what is recorded.",
    )
    return redirect("national:workspace")
