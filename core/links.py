"""URLs of one route for many objects, reversed once."""

from django.urls import reverse

# An argument no route is given: the reversed path holds it exactly once, where the varying
# argument goes.
_MARK = 7_654_321_098


def url_maker(name, *args):
    """A function of one more argument giving `reverse(name, args=[*args, that])`, from a
    single reverse(): a page that links each of its rows to the same route calls this once."""
    head, *tail = reverse(name, args=[*args, _MARK]).split(str(_MARK))
    if len(tail) != 1:  # the mark's digits also elsewhere in the path: reverse each time
        return lambda last: reverse(name, args=[*args, last])
    rest = tail[0]
    return lambda last: f"{head}{last}{rest}"
