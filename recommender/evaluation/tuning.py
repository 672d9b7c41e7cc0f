"""Hyper-parameter search on inner validation splits: the test part of a split is never read here.

For each outer split, :func:`recommender.evaluation.splitting.inner_validation` carves a validation
split out of the training part alone; every candidate setting is fitted on the rest and scored on
it. The benchmark then fits the chosen setting on the whole training part and reads the test part
once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from recommender.evaluation.runner import Protocol, evaluate_algorithm, format_figure
from recommender.evaluation.splitting import Split, inner_validation

#: metric -> whether higher is better.
OBJECTIVES = {"ndcg@10": True, "hr@10": True, "rmse": False, "mae": False}


def grid(choices: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of ``choices`` ({parameter: values}), in order; one empty setting for no choices."""
    names = list(choices)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(choices[n] for n in names))]


def tune(
    name: str,
    outer: Sequence[Split] | Callable[[int], Sequence[Split]],
    protocol: Protocol,
    settings: Sequence[Mapping[str, Any]],
    *,
    metric: str,
    seeds: Sequence[int],
    log: Callable[[str], None] | None = None,
    new_people: bool = False,
) -> list[dict[str, Any]]:
    """Score each setting of ``name`` on the inner validation splits of ``outer``, best first.

    Each entry: {"params", metric, metric + "_sd", "fit_seconds"}, the figures being the mean (and sd)
    over ``seeds``, each seed its own model seed and, when ``outer`` is a function of the seed, its own
    outer split too. ``new_people`` scores everyone folded in with the user id withheld, as the site does
    for people who signed up after the last training.
    """
    if metric not in OBJECTIVES:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(OBJECTIVES)}")
    temporal = protocol.name in ("temporal", "sampled")

    def inner(seed: int) -> list[Split]:
        splits = outer(seed) if callable(outer) else outer
        return [inner_validation(split, temporal=temporal, seed=seed) for split in splits]

    scored = []
    for params in settings:
        result = evaluate_algorithm(name, inner, protocol, overrides=params, seeds=seeds, new_people=new_people)
        entry = {
            "params": dict(params),
            metric: result.get(metric),
            f"{metric}_sd": result.get(f"{metric}_sd"),
            "fit_seconds": result.get("fit_seconds"),
        }
        scored.append(entry)
        if log is not None:
            log(f"{name} {format_params(params)}: {metric} {format_entry(entry, metric)}")
    sign = -1.0 if OBJECTIVES[metric] else 1.0
    return sorted(scored, key=lambda entry: sign * entry[metric] if entry[metric] is not None else float("inf"))


def format_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in params.items()) or "(defaults)"


def format_entry(entry: Mapping[str, Any], metric: str) -> str:
    """A scored setting's figure, with its spread over seeds when there were several."""
    value = entry.get(metric)
    return "-" if value is None else format_figure(value, 4, entry.get(f"{metric}_sd"))
