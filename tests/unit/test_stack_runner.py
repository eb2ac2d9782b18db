"""stack/runner.py's own logic (no stack)."""

import threading

import pytest

from stack.runner import Stack


def test_steps_alongside_both_end_and_main_error_comes_first():
    """Stack._alongside: both steps have ended when it returns; the main
    step's error is raised rather than the side's, the side's otherwise."""
    ended = []

    def side(error=None):
        threading.Event().wait(0.05)
        ended.append("side")
        if error:
            raise error

    def failing_main():
        raise KeyError("main")

    Stack._alongside(side, lambda: ended.append("main"))
    assert sorted(ended) == ["main", "side"]
    with pytest.raises(KeyError):
        Stack._alongside(lambda: side(ValueError("side")), failing_main)
    assert ended.count("side") == 2
    with pytest.raises(ValueError):
        Stack._alongside(lambda: side(ValueError("side")), lambda: None)
