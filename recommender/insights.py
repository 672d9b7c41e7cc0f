"""Model comparison for the Insights page: holdout metrics per trained version, from the model registry.

Cached like the data charts, keyed on the registry's state (newest version id,
newest finish and activation), so a new training run shows on the next visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Max

from catalog.insights import CACHE_SECONDS, Chart, cache_key_part, svg
from movierec.lib.charts import hbar_chart
from recommender.models import ModelVersion

#: (key in ModelVersion.metrics, column title, higher is better)
METRICS: tuple[tuple[str, str, bool], ...] = (
    ("ndcg@10", "NDCG@10", True),
    ("hr@10", "HR@10", True),
    ("rmse", "RMSE", False),
    ("mae", "MAE", False),
    ("coverage", "Coverage", True),
)
#: Versions listed in the table, newest first.
VERSIONS_SHOWN = 12
#: Versions that finished training (failed or still running ones have no figures to compare).
_LISTED = [
    ModelVersion.Status.ACTIVE,
    ModelVersion.Status.READY,
    ModelVersion.Status.REJECTED,
    ModelVersion.Status.RETIRED,
]


@dataclass(frozen=True)
class ModelRow:
    family: str
    version: int
    status: str
    active: bool
    algorithm: str
    values: list[float | None]
    fit_seconds: float | None
    finished: datetime | None
    n_ratings: int


def model_comparison() -> dict[str, object]:
    state = ModelVersion.objects.aggregate(
        newest=Max("id"), finished=Max("finished"), activated=Max("activated"), n=Count("id")
    )
    key = "insights:models:" + cache_key_part(state.values())
    return cache.get_or_set(key, _build, CACHE_SECONDS)


def _build() -> dict[str, object]:
    versions = ModelVersion.objects.filter(status__in=_LISTED).exclude(metrics={}).order_by("-id")[:VERSIONS_SHOWN]
    rows = [
        ModelRow(
            family=version.family,
            version=version.pk,
            status=version.get_status_display(),
            active=version.status == ModelVersion.Status.ACTIVE,
            algorithm=algorithm,
            values=[_number(figures.get(key)) for key, _, _ in METRICS],
            fit_seconds=version.fit_seconds,
            finished=version.finished,
            n_ratings=version.n_ratings,
        )
        for version in versions
        for algorithm, figures in version.metrics.items()
        if isinstance(figures, dict)
    ]
    active = [row for row in rows if row.active]
    charts = []
    for index, (_, title, higher_is_better) in enumerate(METRICS[:3]):
        bars = [(row.algorithm, row.values[index]) for row in active if row.values[index] is not None]
        if bars:
            bars.sort(key=lambda bar: -bar[1] if higher_is_better else bar[1])
            note = "Higher is better." if higher_is_better else "Lower is better."
            charts.append(Chart(title.lower(), title, note, svg(hbar_chart(bars, label=f"{title} per active model"))))
    return {"rows": rows, "columns": [title for _, title, _ in METRICS], "charts": charts}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
