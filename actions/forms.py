from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from core.validators import LONG_TEXT_MAX_LENGTH as TEXT_MAX_LENGTH
from core.validators import NUL_MESSAGE

from . import evidence as ev
from .models import NationalStatus


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


class NationalStatusEvidenceForm(NationalStatusForm):
    """The status form with optional evidence sent in the same submit: a link, a file.

    Each gets the checks of the evidence forms; a bad one is an error at its field, and
    nothing is saved (the service saves the status and the evidence together).
    """

    EVIDENCE_FIELDS = ("link_title", "link_url", "file", "file_title")

    link_title = forms.CharField(
        label="Title of a linked page (optional)",
        required=False,
        max_length=ev.MAX_TITLE_LENGTH,
        error_messages={"null_characters_not_allowed": NUL_MESSAGE},
    )
    link_url = forms.CharField(
        label="Its web address",
        required=False,
        max_length=ev.MAX_URL_LENGTH,
        help_text="A full address starting with https:// or http://.",
        widget=forms.URLInput,
        error_messages={"null_characters_not_allowed": NUL_MESSAGE},
    )
    file = forms.FileField(
        label="A file (optional)",
        required=False,
        allow_empty_file=True,  # checked below, with the evidence's own message
    )
    file_title = forms.CharField(
        label="Title of the file (optional)",
        required=False,
        max_length=ev.MAX_TITLE_LENGTH,
        help_text="Leave empty to use the file's name.",
        error_messages={"null_characters_not_allowed": NUL_MESSAGE},
    )

    def __init__(self, *args, oversized=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.oversized = list(oversized)
        self.fields["file"].widget.attrs["accept"] = ev.ACCEPT_ATTRIBUTE
        self.fields[
            "file"
        ].help_text = (
            f"{ev.ACCEPTED_KINDS}; up to {filesizeformat(settings.EVIDENCE_MAX_FILE_SIZE)}."
        )

    @property
    def status_fields(self):
        return [f for f in self.visible_fields() if f.name not in self.EVIDENCE_FIELDS]

    @property
    def evidence_fields(self):
        return [self[name] for name in self.EVIDENCE_FIELDS]

    def clean_link_title(self):
        title = self.cleaned_data["link_title"]
        return ev.clean_title(title) if title.strip() else ""

    def clean_link_url(self):
        url = self.cleaned_data["link_url"]
        return ev.clean_url(url) if url.strip() else ""

    def clean_file_title(self):
        title = self.cleaned_data["file_title"]
        return ev.clean_title(title) if title.strip() else ""

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if self.oversized:
            raise forms.ValidationError(
                "%(name)s is larger than %(limit)s.",
                params={
                    "name": self.oversized[0],
                    "limit": filesizeformat(settings.EVIDENCE_MAX_FILE_SIZE),
                },
            )
        if uploaded:
            try:
                ev.check_evidence_file(uploaded)
            except forms.ValidationError as error:
                name = ev.clean_original_name(uploaded.name)
                raise forms.ValidationError([f"{name}: {m}" for m in error.messages]) from None
        return uploaded

    def clean(self):
        cleaned = super().clean()
        title, url = cleaned.get("link_title"), cleaned.get("link_url")
        if url and not title and "link_title" not in self.errors:
            self.add_error("link_title", "Give the link a title.")
        if title and not url and "link_url" not in self.errors:
            self.add_error("link_url", "Enter the web address of the linked page.")
        if cleaned.get("file_title") and not cleaned.get("file") and "file" not in self.errors:
            self.add_error("file", "Choose the file this title is for.")
        return cleaned

    def service_arguments(self):
        """The cleaned values as `status_update_with_evidence` takes them."""
        arguments = super().service_arguments()
        data = self.cleaned_data
        return {
            **arguments,
            "link": (data["link_title"], data["link_url"]) if data["link_url"] else None,
            "files": [data["file"]] if data["file"] else [],
            "file_title": data["file_title"],
        }
