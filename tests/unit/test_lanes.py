"""make test-deep's lanes (stack/lanes.py): each lane's pytest arguments."""

import pytest

from stack.lanes import split_lanes


def test_lanes_are_split_at_each_double_dash():
    assert split_lanes(["a.py", "--deselect=a.py::x", "--", "a.py::x", "b.py"]) == [
        ["a.py", "--deselect=a.py::x"], ["a.py::x", "b.py"]]


@pytest.mark.parametrize("argv", [[], ["a.py", "--"], ["--", "a.py"], ["a.py", "--", "--", "b.py"]])
def test_an_empty_lane_is_refused(argv):
    """An empty lane would run pytest's whole default selection."""
    with pytest.raises(SystemExit):
        split_lanes(argv)
