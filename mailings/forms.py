from django import forms

from accounts.policy import digest_scopes
from summaries.models import DigestKind


class DigestPreferencesForm(forms.Form):
    """One checkbox per digest the user may receive, showing what they receive now."""

    def __init__(self, *args, user, current, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in digest_scopes(user):
            label = DigestKind(kind).label
            if kind == DigestKind.STATE:
                label = f"{user.member_state}'s progress summary"
            self.fields[kind] = forms.BooleanField(
                label=label, required=False, initial=current[kind]
            )
