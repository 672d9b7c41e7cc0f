"""``manage.py evaluate`` on a tiny ml-100k written by the test: no database touched unless --from-db."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from tests.unit.recommender.planted import planted

GENRES = ["unknown", "Action", "Comedy", "Drama"]


@pytest.fixture
def ml100k(tmp_path) -> Path:
    """An ml-100k layout: 24 users, 30 movies, u.data and five folds that split it."""
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    rng = np.random.default_rng(0)
    (folder / "u.genre").write_text("".join(f"{name}|{i}\n" for i, name in enumerate(GENRES)), encoding="latin-1")
    items = []
    for movie in range(1, 31):
        flags = ["1" if movie % len(GENRES) == g else "0" for g in range(len(GENRES))]
        items.append(f"{movie}|Movie {movie} ({1980 + movie})|01-Jan-{1980 + movie}||http://x|{'|'.join(flags)}\n")
    (folder / "u.item").write_text("".join(items), encoding="latin-1")
    (folder / "u.user").write_text("".join(f"{u}|30|F|other|00000\n" for u in range(1, 25)), encoding="latin-1")
    rows = [
        f"{user}\t{movie}\t{rng.integers(1, 6)}\t{880000000 + 100 * user + k}\n"
        for user in range(1, 25)
        for k, movie in enumerate(sorted(rng.choice(np.arange(1, 31), 12, replace=False)))
    ]
    (folder / "u.data").write_text("".join(rows), encoding="latin-1")
    fold_of = np.arange(len(rows)) % 5
    for fold in range(5):
        base = "".join(row for row, f in zip(rows, fold_of, strict=True) if f != fold)
        test = "".join(row for row, f in zip(rows, fold_of, strict=True) if f == fold)
        (folder / f"u{fold + 1}.base").write_text(base, encoding="latin-1")
        (folder / f"u{fold + 1}.test").write_text(test, encoding="latin-1")
    return folder


def _evaluate(*args: str) -> str:
    out = StringIO()
    call_command("evaluate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_folds_write_the_table_and_the_json(ml100k, tmp_path):
    output = tmp_path / "results" / "folds.json"
    printed = _evaluate(
        "--path", str(ml100k), "--protocol", "folds", "--algorithms", "popularity,content", "--output", str(output)
    )
    document = json.loads(output.read_text())
    assert document["dataset"] == "ml-100k" and document["protocol"] == "folds" and document["machine"]
    popularity, content = document["algorithms"]["popularity"], document["algorithms"]["content"]
    assert popularity["rmse"] > 0 and popularity["mae"] > 0 and len(popularity["splits"]) == 5
    assert content["rmse"] is None and content["hr@10"] is not None
    assert {"hr@10", "ndcg@10", "coverage", "fit_seconds", "predict_seconds"} <= popularity.keys()
    assert "algorithm" in printed and "NDCG@10" in printed and "Evaluated 2 algorithm(s)" in printed


def test_parent_folder_and_temporal_protocol(ml100k):
    printed = _evaluate("--path", str(ml100k.parent), "--protocol", "temporal", "--algorithms", "baseline")
    assert "protocol temporal" in printed and "baseline" in printed


def test_unknown_algorithms_are_named(ml100k):
    with pytest.raises(CommandError, match="Unknown algorithm\\(s\\): nope, zilch"):
        _evaluate("--path", str(ml100k), "--algorithms", "baseline,nope,zilch")


def test_a_missing_path_is_named(tmp_path):
    with pytest.raises(CommandError, match="nowhere"):
        _evaluate("--path", str(tmp_path / "nowhere"), "--algorithms", "baseline")


def test_folds_need_the_ml100k_files():
    with pytest.raises(CommandError, match="kfold"):
        _evaluate("--from-db", "--protocol", "folds", "--algorithms", "baseline")


def test_from_db_evaluates_what_the_database_exports(monkeypatch):
    monkeypatch.setattr("recommender.data.interactions_from_db", lambda: planted()[0])
    printed = _evaluate("--from-db", "--protocol", "kfold", "--algorithms", "popularity")
    assert "database, protocol kfold" in printed
