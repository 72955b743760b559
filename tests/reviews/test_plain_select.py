"""The report page's select writes the same HTML as Django's template-rendered Select."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from reviews.forms import PlainSelect

CHOICES = [
    ("", "The whole <report>"),
    (1, 'A & "b"'),
    ("Group & co", [(2, "two"), (3, mark_safe("<b>safe</b>"))]),
    (4, "four"),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        ("", None),
        (None, None),
        (1, {"required": True, "aria-invalid": "true", "id": "id_item", "disabled": False}),
        ("3", {"aria-describedby": "a b", "data-x": 'q"<'}),
        (99, None),
    ],
)
def test_plain_select_writes_what_djangos_select_writes(value, attrs):
    expected = forms.Select(choices=CHOICES).render("item", value, attrs)
    assert PlainSelect(choices=CHOICES).render("item", value, attrs) == expected


def test_the_comment_forms_item_field_renders_as_before():
    class Before(forms.Form):
        item = forms.ChoiceField(choices=CHOICES, required=False, label="About")

    class After(forms.Form):
        item = forms.ChoiceField(choices=CHOICES, required=False, label="About", widget=PlainSelect)

    for data in (None, {"item": "2"}, {"item": "nope"}):
        before, after = Before(data), After(data)
        if data:
            before.is_valid(), after.is_valid()
        assert str(after["item"].as_field_group()) == str(before["item"].as_field_group())
