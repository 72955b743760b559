"""Filters shared by the apps' tables."""

import django_filters
from django import forms
from django.core.validators import EMPTY_VALUES
from django.forms.models import ModelChoiceIterator


def given(filterset):
    """The names of the filters given in the URL with a valid value (an invalid one is
    reported on the form and ignored)."""
    filterset.is_valid()
    return {
        name for name, value in filterset.form.cleaned_data.items() if value not in EMPTY_VALUES
    }


class _FetchedChoices(ModelChoiceIterator):
    """The choices read with one plain query. Django's own iterator reads them through
    `QuerySet.iterator()`, which on PostgreSQL is a server-side cursor: three round trips
    (declare, fetch, close) for a handful of rows, on every page that shows the filter."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class _FetchedChoiceField(forms.ModelChoiceField):
    iterator = _FetchedChoices


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's ModelChoiceFilter, its choices read with one plain query."""

    field_class = _FetchedChoiceField
