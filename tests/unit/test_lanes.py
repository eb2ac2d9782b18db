"""make test's and make test-deep's lanes (stack/lanes.py): each lane's
pytest arguments, and the run after them."""

import pytest

from stack.lanes import split_lanes


def test_lanes_are_split_at_each_double_dash():
    assert split_lanes(["a.py", "--deselect=a.py::x", "--", "a.py::x", "b.py"]) == (
        [["a.py", "--deselect=a.py::x"], ["a.py::x", "b.py"]], None)


def test_what_follows_then_runs_after_the_lanes():
    assert split_lanes(["a.py", "--", "b.py", "--then", "c/", "-x"]) == (
        [["a.py"], ["b.py"]], ["c/", "-x"])


@pytest.mark.parametrize("argv", [
    [], ["a.py", "--"], ["--", "a.py"], ["a.py", "--", "--", "b.py"],
    ["a.py", "--then"], ["--then", "a.py"], ["a.py", "--then", "b.py", "--then", "c.py"],
    ["a.py", "--then", "b.py", "--", "c.py"]])
def test_an_empty_or_misplaced_run_is_refused(argv):
    """An empty lane would run pytest's whole default selection."""
    with pytest.raises(SystemExit):
        split_lanes(argv)
