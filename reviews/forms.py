"""Forms of the review workflow: they validate and normalise; the services decide."""

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from actions.models import ActionItem, Evidence, Plan
from core.validators import NUL_MESSAGE

from .models import ReportingRound
from .services import MAX_TEXT_LENGTH, REVIEW_DECISIONS

DATE_MESSAGE = "Enter a real date, for example 2026-03-31."


def text_field(label, *, required, help_text="", rows=4):
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_TEXT_LENGTH,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": f"{label} is required.",
            "max_length": "Keep this under %(limit_value)s characters (it has %(show_value)s).",
            "null_characters_not_allowed": NUL_MESSAGE,
        },
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class ReportingRoundForm(forms.ModelForm):
    """A new round. The model checks the dates' order, plausibility and overlaps."""

    class Meta:
        model = ReportingRound
        fields = [
            "plan",
            "name",
            "opens_on",
            "due_on",
            "closes_on",
            *ReportingRound.BLOCKING_FIELDS,
        ]
        widgets = {"opens_on": DateInput(), "due_on": DateInput(), "closes_on": DateInput()}
        error_messages = {
            field: {"invalid": DATE_MESSAGE} for field in ("opens_on", "due_on", "closes_on")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plans = Plan.objects.exclude(status=Plan.Status.CLOSED).order_by("-start_year")
        self.fields["plan"].queryset = plans
        # Listed once here: rendering the widget from the queryset would read it twice.
        self.fields["plan"].choices = [(plan.pk, str(plan)) for plan in plans]
        self.fields["name"].error_messages["null_characters_not_allowed"] = NUL_MESSAGE

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())


class SubmitForm(forms.Form):
    """The cover note, and the coordinator's confirmation of the check's counts as shown."""

    cover_note = text_field(
        "Cover note (optional)",
        required=False,
        help_text="Anything the reviewers should know about this submission.",
    )
    # The counts the page showed, "key=n;key=n": the service refuses them once stale.
    counts = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={"required": "This form is incomplete; open the check page again."},
    )
    confirm = forms.BooleanField(
        required=True,
        error_messages={
            "required": "Tick the confirmation to submit: it says what the report is submitted "
            "with."
        },
    )

    def __init__(self, *args, check=None, **kwargs):
        super().__init__(*args, **kwargs)
        if check is not None:
            self.fields["counts"].initial = self.encode(check.counts)
            self.fields["confirm"].label = (
                "I have read the check and submit the report with: " + check.summary() + "."
            )

    @staticmethod
    def encode(counts):
        return ";".join(f"{key}={n}" for key, n in counts.items())

    def clean_counts(self):
        text = self.cleaned_data["counts"]
        try:
            pairs = [part.split("=", 1) for part in text.split(";") if part]
            return {key: int(n) for key, n in pairs}
        except ValueError:
            raise forms.ValidationError(
                "This form is incomplete; open the check page again."
            ) from None

    def service_arguments(self):
        return {
            "cover_note": self.cleaned_data["cover_note"],
            "confirmed": self.cleaned_data["counts"],
        }


class ReturnForm(forms.Form):
    comment = text_field(
        "Comment for the member state",
        required=True,
        help_text="What should be corrected or added before the report is submitted again.",
    )


class AcceptForm(forms.Form):
    """Nothing to fill in: accepting is one button."""


class ReopenForm(forms.Form):
    reason = text_field("Reason for reopening", required=True)


def _attrs(attrs):
    """What django/forms/widgets/attrs.html writes."""
    return "".join(
        f" {conditional_escape(name)}"
        + ("" if value is True else f'="{conditional_escape(str(value))}"')
        for name, value in attrs.items()
        if value is not False
    )


class PlainSelect(forms.Select):
    """A select whose HTML is that of Django's select.html and select_option.html, written in
    Python: the report page's select lists one page of actions, and a template per option cost
    more than the rest of the form."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                value, label = conditional_escape(str(option["value"])), option["label"]
                html.append(
                    f'\n  <option value="{value}"{_attrs(option["attrs"])}>'
                    f"{conditional_escape(label)}</option>\n"
                )
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))


class CommentForm(forms.Form):
    """A comment on the report, or on one of its plan's items (the item list is the plan's)."""

    item = forms.ModelChoiceField(
        queryset=ActionItem.objects.none(),
        required=False,
        label="About",
        widget=PlainSelect,
        empty_label="The whole report",
        error_messages={"invalid_choice": "Choose one of this plan's actions."},
    )
    body = text_field("Comment", required=True, rows=3)

    def __init__(self, *args, plan, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        field.queryset = ActionItem.objects.filter(plan=plan).order_by("position", "code")
        if items is not None:
            # The page's own list of the plan's items: the select needs no query of its own.
            field.choices = [("", field.empty_label)] + [
                (item.pk, f"{item.code} {item.title}") for item in items
            ]


class EvidenceReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="Review",
        choices=[(value, Evidence.Review(value).label) for value in REVIEW_DECISIONS],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose accepted or needs more."},
    )
    comment = text_field(
        "Comment",
        required=False,
        rows=2,
        help_text='Required for "needs more": say what is missing.',
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") == Evidence.Review.NEEDS_MORE
            and not cleaned.get("comment", "").strip()
        ):
            self.add_error("comment", 'Say what is missing when you choose "needs more".')
        return cleaned
