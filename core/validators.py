"""Checks on stored text, made by the models so that every write path makes them.

A form, a service, the admin, a management command or a future import all end in a model's
`full_clean()` or a database CHECK: a NUL byte, a lone surrogate or a megabyte of text is
refused there with a ValidationError (or an IntegrityError), never a DataError,
UnicodeEncodeError or a silently stored value.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

# The longest free texts: a status's narrative, challenges and next steps.
LONG_TEXT_MAX_LENGTH = 20_000
# Comments, cover notes, reasons, evidence reviews.
COMMENT_MAX_LENGTH = 10_000

NUL_MESSAGE = (
    "This text contains a NUL character (often pasted from another program), which cannot "
    "be stored. Remove it and try again."
)
SURROGATE_MESSAGE = (
    "This text contains a broken character (half of a character pair, often from a damaged "
    "copy and paste), which cannot be stored. Remove it and try again."
)


# Unicode's control characters (category Cc: U+0000–U+001F, U+007F–U+009F) and surrogates (Cs:
# U+D800–U+DFFF), sets its stability policy fixes for good: one regular expression finds them in
# a megabyte of text in milliseconds, where a category look-up per character takes 0.15 s.
CONTROL_BUT_TAB_AND_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def validate_storable_text(value):
    """Refuse text that the database cannot store or UTF-8 cannot encode."""
    if not isinstance(value, str):
        return  # the field turns other values into text, or reports them itself
    if "\x00" in value:
        raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(SURROGATE_MESSAGE, code="surrogate") from None


def text_validators(max_length=None):
    """Validators of a stored text field; `max_length` for a TextField, which has none."""
    limit = [MaxLengthValidator(max_length)] if max_length else []
    return [*limit, validate_storable_text]


def length_check(field, max_length, name):
    """A database CHECK that `field` holds at most `max_length` characters (TextFields)."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), max_length),
        name=name,
        violation_error_message=f"Keep this text under {max_length} characters.",
    )


def is_whole_number(value):
    """True for an int (not a bool): what a count or per cent must be before it is stored."""
    return isinstance(value, int) and not isinstance(value, bool)
