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
from movierec.lib.charts import hbar_chart, line_chart
from recommender.families import FAMILIES, Role
from recommender.models import ModelVersion
from recommender.training import concentration_increase

#: (key in ModelVersion.metrics, column title, higher is better)
METRICS: tuple[tuple[str, str, bool], ...] = (
    ("ndcg@10", "NDCG@10", True),
    ("hr@10", "HR@10", True),
    ("rmse", "RMSE", False),
    ("mae", "MAE", False),
    ("coverage", "Coverage", True),
    ("gini", "Gini", False),
    ("top1_share", "Top 1% share", False),
    ("novelty", "Novelty", True),
    ("diversity", "Diversity", True),
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


#: The figures shown with their standard error on the holdout (mean over people ± se).
WITH_ERROR = {"ndcg@10", "hr@10"}
#: The served ranking first, then the served stars, then the rest in family order.
SERVED_FIRST = [Role.TOP_PICKS, Role.STARS]
#: What each measured row is called on the home page.
ROW_TITLES = {
    "top-picks": "Top picks for you",
    "because": "Because you rated …",
    "fans-like-you": "Fans like you also loved",
    "up-next": "Up next for you",
    "popular-in": "Popular in …",
    "hidden-gems": "Hidden gems",
    "new-in-catalog": "New in the catalog",
}


@dataclass(frozen=True)
class ModelRow:
    family: str
    version: int
    #: The version's number within its family (what the page shows: "v3").
    number: int
    status: str
    active: bool
    algorithm: str
    #: What the algorithm does on the site ("serves Top picks"), or "" when it serves nothing on its own.
    role: str
    values: list[tuple[float | None, float | None]]  # (figure, standard error or None)
    fit_seconds: float | None
    finished: datetime | None
    n_ratings: int
    #: Where this version narrows what people see more than its family's active version (empty: it does not).
    concentration: str = ""


@dataclass(frozen=True)
class ServedRow:
    key: str
    title: str
    ndcg: float | None
    hr: float | None
    in_row: float | None
    popularity_in_row: float | None
    users: int


def model_comparison() -> dict[str, object]:
    # The newest creation time too: ids start again in a recreated database, whose cache may outlive it.
    state = ModelVersion.objects.aggregate(
        newest=Max("id"), created=Max("created"), finished=Max("finished"), activated=Max("activated"), n=Count("id")
    )
    key = "insights:models:" + cache_key_part(state.values())
    return cache.get_or_set(key, _build, CACHE_SECONDS)


def _build() -> dict[str, object]:
    versions = ModelVersion.objects.filter(status__in=_LISTED).exclude(metrics={}).order_by("-id")[:VERSIONS_SHOWN]
    active_metrics = {
        version.family: version.metrics
        for version in ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).only("family", "metrics")
    }
    rows = [
        ModelRow(
            family=version.family,
            version=version.pk,
            number=version.number,
            status=version.get_status_display(),
            active=version.status == ModelVersion.Status.ACTIVE,
            algorithm=algorithm,
            role=_role(version.family, algorithm),
            values=[(_number(figures.get(key)), _error(figures, key)) for key, _, _ in METRICS],
            fit_seconds=version.fit_seconds,
            finished=version.finished,
            n_ratings=version.n_ratings,
            concentration="; ".join(
                concentration_increase(candidate={algorithm: figures}, active=active_metrics.get(version.family))
            )
            if version.status != ModelVersion.Status.ACTIVE
            else "",
        )
        for version in versions
        for algorithm, figures in version.metrics.items()
        if isinstance(figures, dict)
    ]
    rows.sort(key=lambda row: (_served_rank(row), -row.version))
    active = [row for row in rows if row.active]
    charts = []
    for index, (_, title, higher_is_better) in enumerate(METRICS[:3]):
        bars = [(row.algorithm, row.values[index][0]) for row in active if row.values[index][0] is not None]
        if bars:
            bars.sort(key=lambda bar: -bar[1] if higher_is_better else bar[1])
            note = "Higher is better." if higher_is_better else "Lower is better."
            charts.append(Chart(title.lower(), title, note, svg(hbar_chart(bars, label=f"{title} per active model"))))
    return {
        "rows": rows,
        "columns": [title for _, title, _ in METRICS],
        "charts": charts,
        "curves": _training_curves(versions),
        "served_rows": _served_rows(),
    }


#: The curves a torch model's version keeps, and how the models page captions them.
CURVES = {
    "loss": ("training loss per epoch", "mean training loss per epoch"),
    "validation_loss": (
        "validation loss per epoch",
        "loss on the training holdout's ratings after each epoch (the holdout fit)",
    ),
}


def _training_curves(versions) -> list[Chart]:
    """Each active torch model's training loss and validation loss per epoch, as its version recorded them."""
    curves = []
    for version in versions:
        if version.status != ModelVersion.Status.ACTIVE:
            continue
        for algorithm, figures in version.metrics.items():
            recorded = (figures.get("training_curve") or {}) if isinstance(figures, dict) else {}
            for curve, (name, says) in CURVES.items():
                values = recorded.get(curve)
                if not values:
                    continue
                points = [(f"{epoch}", float(value)) for epoch, value in enumerate(values, start=1)]
                caption = f"{version.label}: {says}, {len(values)} epochs."
                if budget := recorded.get("stopped_after_seconds"):
                    caption += f" Stopped by its {budget:.0f} s time budget."
                label = f"{algorithm} {name}"
                title = algorithm if curve == "loss" else f"{algorithm}, validation"
                curves.append(Chart(f"curve-{algorithm}-{curve}", title, caption, svg(line_chart(points, label=label))))
    return curves


def _role(family: str, algorithm: str) -> str:
    role = FAMILIES[family].roles.get(algorithm) if family in FAMILIES else None
    if role == Role.TOP_PICKS:
        return "serves Top picks"
    if role == Role.STARS:
        return "serves the predicted stars"
    return ""


def _served_rank(row: ModelRow) -> int:
    role = FAMILIES[row.family].roles.get(row.algorithm) if row.family in FAMILIES else None
    return SERVED_FIRST.index(role) if role in SERVED_FIRST else len(SERVED_FIRST)


def _served_rows() -> list[ServedRow]:
    """Each home-page row as the active blend's training measured it, in page order."""
    blend_families = [family.name for family in FAMILIES.values() if Role.TOP_PICKS in family.roles.values()]
    version = ModelVersion.objects.filter(family__in=blend_families, status=ModelVersion.Status.ACTIVE).first()
    measured = version.row_metrics if version is not None else {}
    return [
        ServedRow(
            key=key,
            title=ROW_TITLES.get(key, key),
            ndcg=_number(figures.get("ndcg@10")),
            hr=_number(figures.get("hr@10")),
            in_row=_number(figures.get("ndcg@10_in_row")),
            popularity_in_row=_number(figures.get("popularity_ndcg@10_in_row")),
            users=int(figures.get("users") or 0),
        )
        for key, figures in measured.items()
        if isinstance(figures, dict)
    ]


def _error(figures: dict, key: str) -> float | None:
    return _number(figures.get(f"{key}_se")) if key in WITH_ERROR else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
