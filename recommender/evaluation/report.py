"""Evaluation results as a printed table and as a JSON document, with the machine they were measured on."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from recommender.evaluation.runner import K

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


def format_table(results: Mapping[str, Mapping[str, Any]]) -> str:
    """A fixed-width table, one row per algorithm; a figure that does not apply shows as "-"."""
    headings = ["algorithm", *(heading for _, heading, _ in TABLE_COLUMNS)]
    rows = [
        [name, *(_cell(result.get(key), digits) for key, _, digits in TABLE_COLUMNS)]
        for name, result in results.items()
    ]
    widths = [max(len(row[i]) for row in [headings, *rows]) for i in range(len(headings))]
    lines = [_line(headings, widths), _line(["-" * width for width in widths], widths)]
    lines += [_line(row, widths) for row in rows]
    return "\n".join(lines)


def _cell(value: Any, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _line(cells: list[str], widths: list[int]) -> str:
    first, *rest = cells
    return "  ".join(
        [first.ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True))]
    )
