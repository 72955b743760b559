"""`make bench-suite` compares the suite with an earlier one on the tests both have, and lists
the earlier tests left out."""

from bench.suite import RENAMED, same_tests


def test_both_sides_keep_the_tests_the_other_has_by_name_or_renamed_and_the_rest_is_listed():
    earlier, renamed_to = next(iter(RENAMED.items()))
    base = [
        "tests/a.py::test_kept[1]",
        "tests/a.py::test_kept[2]",
        f"tests/old.py::{earlier}",
        "tests/a.py::test_replaced_since",
    ]
    head = [
        "tests/a.py::test_kept[1]",
        "tests/a.py::test_kept[3]",
        f"tests/new.py::{renamed_to}[x]",
        "tests/new.py::test_of_a_new_feature",
    ]

    assert same_tests(base, head) == (
        ["tests/a.py::test_kept[1]", "tests/a.py::test_kept[2]", f"tests/old.py::{earlier}"],
        ["tests/a.py::test_kept[1]", "tests/a.py::test_kept[3]", f"tests/new.py::{renamed_to}[x]"],
        ["test_replaced_since"],
    )
