"""Progress of long loops: a bar on a terminal, a plain line now and then in a log, nothing when off."""

from __future__ import annotations

import io

import pytest

from recommender.algorithms import base
from recommender.algorithms.base import progress, set_progress


class _Stream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.fixture
def progress_on():
    token = set_progress(True)
    yield
    token.var.reset(token)


def run_loop(monkeypatch, *, terminal: bool, steps: int = 50, seconds_per_step: float = 1.0) -> str:
    stream = _Stream(terminal)
    clock = iter(float(tick) * seconds_per_step for tick in range(10_000))
    monkeypatch.setattr(base.sys, "stderr", stream)
    monkeypatch.setattr(base.time, "monotonic", lambda: next(clock))
    assert list(progress(range(steps), desc="epochs")) == list(range(steps))
    return stream.getvalue()


def test_in_a_log_progress_is_a_line_every_few_seconds_with_no_carriage_returns(monkeypatch, progress_on):
    # Given a 50-step loop taking a second a step, written to a log (not a terminal)
    text = run_loop(monkeypatch, terminal=False)

    # Then it prints whole lines, one per PROGRESS_LINE_SECONDS, then a last one
    lines = text.splitlines()
    assert "\r" not in text
    assert len(lines) == 50 // int(base.PROGRESS_LINE_SECONDS) + 1
    assert lines[0] == "epochs: 10/50 (20%), 10 s"
    assert lines[-1].startswith("epochs: done, 50 in ")


def test_a_quick_loop_in_a_log_prints_nothing(monkeypatch, progress_on):
    assert run_loop(monkeypatch, terminal=False, steps=5, seconds_per_step=0.01) == ""


def test_on_a_terminal_progress_is_a_bar(monkeypatch, progress_on):
    text = run_loop(monkeypatch, terminal=True, steps=5)

    assert "\r" in text and "epochs" in text


def test_progress_off_prints_nothing_anywhere(monkeypatch):
    assert run_loop(monkeypatch, terminal=True) == ""
    assert run_loop(monkeypatch, terminal=False) == ""
