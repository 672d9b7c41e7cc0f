"""The scale benchmark's whole path at CI's size: generate, import, export, train, warm, serve, admin on PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from django.db import connection

from scripts.bench import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_make_bench_scale_at_ci_size_walks_every_step_and_reports_each(tmp_path):
    if connection.vendor != "postgresql" or shutil.which("psql") is None:
        pytest.skip("the scale benchmark runs on PostgreSQL and creates its database with psql (CI has both)")
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/"
    url += f"{database['NAME']}_scale"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.bench.scale",
            "--size",
            "ci",
            "--workdir",
            str(tmp_path),
            "--database-url",
            url,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    figures = {figure["step"]: figure for figure in json.loads((tmp_path / "scale.json").read_text())}
    steps = {"generate", "import", "export", "train collaborative+content", "train blend", "warm", "serve", "admin"}
    assert steps <= set(figures)
    assert all(figure["seconds"] > 0 and figure["peak_mb"] > 0 for figure in figures.values())
    assert "20,000 ratings" in figures["export"]["detail"]
    assert 0 < figures["export"]["own_seconds"] < figures["export"]["seconds"]
    assert "full export (no saved snapshot)), the snapshot saved" in figures["export"]["detail"]
    assert figures["warm"]["detail"].startswith("Folded 400 people into")
    assert "Kept the Top picks of 400 people in" in figures["warm"]["detail"]
    assert "API recommendations, 67 different people folded in afresh" in figures["serve"]["detail"]
    assert "scoring one person with all" in figures["serve"]["detail"]
    assert "API recommendations, 67 other people from their kept folds" in figures["serve"]["detail"]
    assert "API recommendations, 66 other people from their kept Top picks" in figures["serve"]["detail"]
    assert "admin title search" in figures["admin"]["detail"]
    subprocess.run(["psql", url.rsplit("/", 1)[0] + "/postgres", "-qc", f'DROP DATABASE "{database["NAME"]}_scale"'])
