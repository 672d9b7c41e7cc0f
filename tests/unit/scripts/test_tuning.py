"""Tuning reads validation data carved from the training part, never the test part."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.algorithms import build
from recommender.evaluation import runner
from recommender.evaluation.leakage import LeakageGuard
from recommender.evaluation.runner import PROTOCOLS
from recommender.evaluation.splitting import INNER_SHARE, inner_validation, temporal_leave_last_out
from recommender.evaluation.tuning import grid, tune
from scripts.bench.tune import main, parse_choice
from tests.unit.recommender.planted import planted


@pytest.fixture(scope="module")
def outer():
    data, _, _ = planted(seed=0)
    return temporal_leave_last_out(data, seed=0)


def test_grid_is_every_combination_in_order():
    assert grid({"factors": [8, 16], "reg": [0.1]}) == [{"factors": 8, "reg": 0.1}, {"factors": 16, "reg": 0.1}]
    assert grid({}) == [{}]


def test_the_temporal_inner_split_holds_out_each_persons_second_to_last_rating(outer):
    inner = inner_validation(outer, temporal=True)

    assert len(inner.train) + len(inner.test) == len(outer.train)
    for user in np.unique(inner.test.users):
        held = inner.test.timestamps[inner.test.users == user].max()
        assert inner.train.timestamps[inner.train.users == user].max() <= held
        assert held <= outer.test.timestamps[outer.test.users == user].max()


def test_the_folds_inner_split_is_a_seeded_share_of_the_training_ratings(outer):
    first, again = (inner_validation(outer, temporal=False, seed=3) for _ in range(2))

    assert abs(len(first.test) / len(outer.train) - INNER_SHARE) < 0.03
    np.testing.assert_array_equal(first.test.items, again.test.items)


def test_tuning_never_fits_on_nor_scores_against_the_outer_test_part(outer, monkeypatch):
    """Every fit is guarded against the outer test ratings, and every split scored has none of them."""
    test_pairs = pairs(outer.test)
    scored = []
    evaluate_split = runner.evaluate_split

    def guarded(name, **overrides):
        return LeakageGuard(build(name, **overrides), outer, temporal=True)

    def recording(model, split, protocol, **options):
        scored.append(pairs(split.test))
        return evaluate_split(model, split, protocol, **options)

    monkeypatch.setattr(runner, "build", guarded)
    monkeypatch.setattr(runner, "evaluate_split", recording)

    ranked = tune(
        "item_knn", [outer], PROTOCOLS["temporal"], grid({"neighbours": [2, 20]}), metric="ndcg@10", seeds=[0, 1]
    )

    assert len(scored) == 4 and all(pairs_scored and not pairs_scored & test_pairs for pairs_scored in scored)
    assert ranked[0]["ndcg@10"] >= ranked[1]["ndcg@10"]
    assert all(entry["ndcg@10_sd"] is not None for entry in ranked)


def test_new_people_tuning_scores_everyone_with_the_user_id_withheld(outer, monkeypatch):
    seen = []
    evaluate_split = runner.evaluate_split

    def recording(model, split, protocol, **options):
        seen.append(options.get("new_people"))
        return evaluate_split(model, split, protocol, **options)

    monkeypatch.setattr(runner, "evaluate_split", recording)

    tune("popularity", [outer], PROTOCOLS["temporal"], [{}], metric="ndcg@10", seeds=[0], new_people=True)

    assert seen == [True]


def pairs(data) -> set[tuple[int, int]]:
    return set(zip(data.user_ids[data.users].tolist(), data.item_ids[data.items].tolist(), strict=True))


def test_a_choice_on_the_command_line_is_json_values_split_by_bars():
    assert parse_choice('components=["sequence", "item_knn"]|["sequence"]') == (
        "components",
        [["sequence", "item_knn"], ["sequence"]],
    )
    assert parse_choice("transform=zscore|percentile") == ("transform", ["zscore", "percentile"])


@pytest.mark.parametrize(("choice", "named"), [("no_such=1", "no_such"), ("neighbours=-3", "neighbours")])
def test_a_bad_setting_is_refused_before_anything_runs(tmp_path, capsys, choice, named):
    (tmp_path / "u.data").write_text("")  # the data set is never read: the setting is checked first

    status = main(["--algorithm", "item_knn", "--set", choice, "--path", str(tmp_path), "--output-dir", str(tmp_path)])

    assert status == 2 and named in capsys.readouterr().err


def test_the_rows_are_tuned_on_the_validation_split_and_never_see_the_test_movie(tmp_path, monkeypatch, capsys):
    from scripts.bench import tune as tune_command

    data, _, _ = planted(seed=0)
    (tmp_path / "u.data").write_text("")
    measured_on = []

    def served(splits_for, seeds, *, new_people, log):
        measured_on.extend(split for seed in seeds for split in splits_for(seed))
        return {who: {"row top-picks": {"ndcg@10": 0.5, "ndcg@10_sd": 0.0}} for who in new_people}

    monkeypatch.setattr(tune_command, "read_movielens", lambda path: data)
    monkeypatch.setattr(tune_command, "evaluate_served", served)

    status = main(["--rows", "--seeds", "2", "--path", str(tmp_path), "--output-dir", str(tmp_path)])

    assert status == 0 and len(measured_on) == 2
    for seed, split in enumerate(measured_on):
        test = runner.make_splits("temporal", data, seed=seed)[0].test
        seen = set(zip(split.train.user_ids[split.train.users], split.train.item_ids[split.train.items], strict=True))
        seen |= set(zip(split.test.user_ids[split.test.users], split.test.item_ids[split.test.items], strict=True))
        held_out = set(zip(test.user_ids[test.users], test.item_ids[test.items], strict=True))
        assert held_out and not seen & held_out
    assert "validation split" in capsys.readouterr().out and (tmp_path / "tune-rows-temporal.json").is_file()


@pytest.mark.parametrize(
    ("argv", "named"),
    [([], "--algorithm"), (["--rows", "--algorithm", "svd"], "--rows"), (["--rows", "--protocol", "folds"], "--rows")],
)
def test_a_command_line_that_cannot_mean_one_thing_is_refused_naming_the_option(tmp_path, capsys, argv, named):
    with pytest.raises(SystemExit) as refused:
        main([*argv, "--path", str(tmp_path)])

    assert refused.value.code == 2 and named in capsys.readouterr().err
