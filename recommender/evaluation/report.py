"""Evaluation results as a printed table and as a JSON document, with the machine they were measured on."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from recommender.evaluation.runner import K, format_figure

#: (result key, column heading, digits): the columns of the printed table.
TABLE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("rmse", "RMSE", 4),
    ("mae", "MAE", 4),
    (f"hr@{K}", f"HR@{K}", 4),
    (f"ndcg@{K}", f"NDCG@{K}", 4),
    ("coverage", "coverage", 3),
    ("fit_seconds", "fit s", 2),
    ("predict_seconds", "predict s", 2),
)


def machine_description() -> str:
    """CPU model and core count (from /proc/cpuinfo where there is one), e.g. "AMD EPYC, 2 cores, Linux x86_64"."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"


def results_document(
    results: Mapping[str, Mapping[str, Any]], *, dataset: str, protocol: str, description: str, **extra: Any
) -> dict[str, Any]:
    """The JSON the evaluate command and the benchmark write."""
    return {
        "dataset": dataset,
        "protocol": protocol,
        "protocol_description": description,
        "machine": machine_description(),
        **extra,
        "algorithms": dict(results),
    }


#: The accuracy figures a benchmark ranks algorithms by, and whether lower is better.
COMPARED: tuple[tuple[str, str, bool], ...] = (("rmse", "RMSE", True), (f"ndcg@{K}", f"NDCG@{K}", False))
#: A difference smaller than this many standard deviations (of the difference) is a tie.
TIE_SDS = 2.0


def format_table(
    results: Mapping[str, Mapping[str, Any]],
    columns: Sequence[tuple[str, str, int]] = TABLE_COLUMNS,
    *,
    first: str = "algorithm",
) -> str:
    """A fixed-width table, one row per algorithm; a figure that does not apply shows as "-".

    A figure measured over several seeds shows as mean ± standard deviation.
    """
    headings = [first, *(heading for _, heading, _ in columns)]
    rows = [
        [name, *(_cell(result.get(key), digits, result.get(f"{key}_sd")) for key, _, digits in columns)]
        for name, result in results.items()
    ]
    widths = [max(len(row[i]) for row in [headings, *rows]) for i in range(len(headings))]
    lines = [_line(headings, widths), _line(["-" * width for width in widths], widths)]
    lines += [_line(row, widths) for row in rows]
    return "\n".join(lines)


def ties_with_best(
    results: Mapping[str, Mapping[str, Any]], key: str, *, lower_is_better: bool
) -> tuple[str, list[str]] | None:
    """(the best algorithm by ``key``, those within TIE_SDS standard deviations of it), or None.

    The standard deviation of a difference is sqrt(sd_a² + sd_b²), each over seeds. A figure measured once
    has no spread, so nothing ties with it unless it is equal.
    """
    scored = {name: result for name, result in results.items() if result.get(key) is not None}
    if not scored:
        return None
    best = (min if lower_is_better else max)(scored, key=lambda name: scored[name][key])
    best_sd = scored[best].get(f"{key}_sd") or 0.0
    tied = [
        name
        for name, result in scored.items()
        if name != best
        and abs(result[key] - scored[best][key])
        <= TIE_SDS * (best_sd**2 + (result.get(f"{key}_sd") or 0.0) ** 2) ** 0.5
    ]
    return best, tied


def format_ties(results: Mapping[str, Mapping[str, Any]]) -> str:
    """One line per compared figure: the best algorithm, and which ones are a tie with it."""
    lines = []
    for key, label, lower_is_better in COMPARED:
        found = ties_with_best(results, key, lower_is_better=lower_is_better)
        if found is None:
            continue
        best, tied = found
        also = (
            f"; a tie with it (under {TIE_SDS:g} sd): {', '.join(tied)}" if tied else f"; no tie within {TIE_SDS:g} sd"
        )
        lines.append(f"best {label}: {best}{also}")
    return "\n".join(lines)


def _cell(value: Any, digits: int, spread: float | None = None) -> str:
    return "-" if value is None else format_figure(value, digits, spread)


def _line(cells: list[str], widths: list[int]) -> str:
    first, *rest = cells
    return "  ".join(
        [first.ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True))]
    )
