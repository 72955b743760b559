"""The digest preferences page: which progress-summary e-mails a user receives."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .digests import digest_choices, digest_preferences_save
from .forms import DigestPreferencesForm


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def digest_preferences(request):
    current = digest_choices(request.user)
    form = DigestPreferencesForm(request.POST or None, user=request.user, current=current)
    if request.method == "POST" and form.is_valid():
        digest_preferences_save(user=request.user, choices=form.cleaned_data)
        messages.success(request, "Your digest preferences were saved.")
        return redirect("summaries:preferences")
    return render(request, "summaries/digestpreference_form.html", {"form": form})
