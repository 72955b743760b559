from django import forms

from .models import NationalStatus

TEXT_MAX_LENGTH = 20_000

NUL_MESSAGE = (
    "This text contains a NUL character (often pasted from another program), which cannot "
    "be stored. Remove it and save again."
)


def long_text(label, help_text):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "max_length": "Keep this under %(limit_value)s characters (it has %(show_value)s).",
            "null_characters_not_allowed": NUL_MESSAGE,
        },
    )


class NationalStatusForm(forms.Form):
    """One state's status of one item. The state and item come from the URL and the user."""

    status = forms.ChoiceField(
        choices=NationalStatus.Status.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the statuses listed."},
    )
    progress = forms.IntegerField(
        label="Progress (%)",
        required=False,
        min_value=0,
        max_value=100,
        help_text=(
            "A whole number from 0 to 100. Completed means 100, not started means 0; "
            "leave it empty only for not applicable."
        ),
        error_messages={
            "invalid": "Enter progress as a whole number from 0 to 100, without decimals.",
            "min_value": "Progress cannot be below 0.",
            "max_value": "Progress cannot be above 100.",
        },
    )
    narrative = long_text(
        "Narrative",
        "What has been done, and how. Needed for every status but not started and not applicable.",
    )
    challenges = long_text("Challenges", "What stands in the way.")
    next_steps = long_text("Next steps", "What comes next, and when.")
    responsible_agency = forms.CharField(
        label="Responsible national agency",
        required=False,
        max_length=300,
        error_messages={
            "max_length": "Keep this under %(limit_value)s characters (it has %(show_value)s).",
            "null_characters_not_allowed": NUL_MESSAGE,
        },
    )
    # The version the user started from: a save from an older one is a conflict.
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages={
            "required": "This form is incomplete; open the item again and redo the change.",
            "invalid": "This form is incomplete; open the item again and redo the change.",
            "min_value": "This form is incomplete; open the item again and redo the change.",
        },
    )

    @classmethod
    def initial_from(cls, status):
        return {**status.tracked_values(), "version": status.version}

    def clean(self):
        cleaned = super().clean()
        if "status" in cleaned and "progress" in cleaned:
            problem = NationalStatus.progress_problem(cleaned["status"], cleaned["progress"])
            if problem:
                self.add_error("progress", problem)
        if "status" in cleaned and "narrative" in cleaned:
            problem = NationalStatus.narrative_problem(cleaned["status"], cleaned["narrative"])
            if problem:
                self.add_error("narrative", problem)
        return cleaned

    def service_arguments(self):
        """The cleaned values as `national_status_update` takes them."""
        values = {field: self.cleaned_data[field] for field in NationalStatus.TRACKED_FIELDS}
        return {**values, "expected_version": self.cleaned_data["version"]}
