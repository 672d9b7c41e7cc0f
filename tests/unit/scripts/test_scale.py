"""The scale benchmark's verdicts: each step against the issue's target for its size."""

from __future__ import annotations

from scripts.bench.scale import OWN_SECONDS, Figure


def test_a_step_is_judged_on_its_wall_time_unless_it_reports_its_own():
    assert "[MISSED ≤ 3 s]" in Figure("export", 4.1, 346).line("1m")
    assert "[met ≤ 3 s]" in Figure("export", 4.1, 346, own_seconds=2.1).line("1m")
    assert "[MISSED ≤ 3 s]" in Figure("export", 4.1, 346, own_seconds=3.2).line("1m")
    assert "[" not in Figure("export", 4.1, 346).line("ci")  # no targets at CI's size


def test_the_steps_own_seconds_are_read_from_its_result_line(monkeypatch, tmp_path):
    from scripts.bench import scale

    script = tmp_path / "step.py"
    script.write_text(f"print('RESULT {OWN_SECONDS}0.25 s to export')\nprint('RESULT 7 ratings')\n")

    figure = scale.timed("export", ["python3", str(script)], env={"PATH": "/usr/bin:/bin"})

    assert figure.own_seconds == 0.25
    assert figure.detail == f"{OWN_SECONDS}0.25 s to export; 7 ratings"
