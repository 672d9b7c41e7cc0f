"""The recommendation inspector (staff): why a person got what they got, and whom a movie would go to.

Everything is read through the serving path, ``recommender.services.taste_for`` and its Page, so the rows and
scores shown are the ones the person is served. Nothing here writes, except the visit's own log line
(``log_visit``): reading the inspector never changes what anyone sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max

from catalog.models import Movie
from ratings.choices import SNOOZE, FeedbackKind, TopPicksSource
from ratings.models import Rating
from recommender.algorithms.base import Recommender
from recommender.evaluation import metrics
from recommender.models import Inspection, ModelVersion
from recommender.rows import Taste, percentiles
from recommender.services import page_picks, taste_for

SOURCE_LABELS = dict(TopPicksSource.choices)
#: People whose pages the movie inspector lays out (the most recently active), and the most it may be asked for.
AUDIENCE = 50
MAX_AUDIENCE = 500
#: Neighbours listed per model on the movie inspector.
NEIGHBOURS = 8
#: The cards the page figures are computed over: Top picks' first ten, as the holdout's health metrics are.
FIGURE_CARDS = 10


@dataclass(frozen=True)
class InspectedCard:
    movie_id: int
    title: str
    score: float  # what the row ranked by
    blend_percentile: float | None  # the movie's place in the served blend, 0..1
    model_scores: list[float | None]  # one per InspectedPage.models
    reason: str
    predicted_rating: float | None
    arm: str = ""  # while an interleaving experiment runs: the arm that put the card there


@dataclass(frozen=True)
class InspectedRow:
    key: str
    title: str
    cards: list[InspectedCard]


@dataclass(frozen=True)
class Figure:
    name: str
    person: float | None
    site: float | None  # the active blend's holdout average over everyone
    help: str


@dataclass(frozen=True)
class InspectedPage:
    person: AbstractBaseUser
    models: list[str]  # "family / algorithm", the blend's components as "blend / component"
    rows: list[InspectedRow]
    ratings: list[dict]  # newest first: movie_id, title, score, when, seed
    feedback: list[dict]  # kind, movie_id, title, when, until (snoozes)
    preferences: str
    figures: list[Figure]


def active_models(taste: Taste) -> list[tuple[str, Recommender]]:
    """Every active model the page may draw on, labelled, with the served blend's components after it."""
    found = []
    for family, models in taste.models.families.items():
        for name, model in models.items():
            found.append((f"{family} / {name}", model))
            found += [(f"{family} / {part.name}", part) for part in getattr(model, "components", None) or ()]
    return found


def _finite(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None


def person_page(person: AbstractBaseUser, *, limit: int) -> InspectedPage:
    """``person``'s rows exactly as they are served at ``limit`` cards, each card scored by every active model.

    During an experiment the models are the person's arm's (``taste_for``), and an interleaved Top picks row is
    the drafted one, each card marked with its arm.
    """
    taste = taste_for(person)
    catalog = taste.catalog
    models = active_models(taste)
    scores = [taste.scores(model) for _, model in models]
    blend = percentiles(taste.blend_scores)
    rows = []
    for spec, picks, arms in page_picks(user=person, limit=limit):
        cards = []
        for pick in picks:
            position = int(catalog.positions([pick.movie_id])[0][0])
            cards.append(
                InspectedCard(
                    movie_id=pick.movie_id,
                    title=catalog.titles[position],
                    score=round(pick.score, 4),
                    blend_percentile=_finite(blend[position]),
                    model_scores=[_finite(vector[position]) for vector in scores],
                    reason=pick.reason,
                    predicted_rating=pick.predicted_rating,
                    arm=(arms or {}).get(pick.movie_id, ""),
                )
            )
        rows.append(InspectedRow(key=spec.key, title=spec.title, cards=cards))
    return InspectedPage(
        person=person,
        models=[label for label, _ in models],
        rows=rows,
        ratings=_ratings(taste),
        feedback=_feedback(taste),
        preferences=_controls(taste),
        figures=_figures(taste, rows),
    )


def _controls(taste: Taste) -> str:
    """The person's switcher choice and dials in words, as the Top picks title hints at them."""
    prefs = taste.preferences
    dials = f"popular ↔ gems {prefs.popularity:+.2f}, familiar ↔ adventurous {prefs.adventure:.2f}"
    return f"{SOURCE_LABELS.get(prefs.source, prefs.source)} (serving {taste.top_picks_source}); {dials}, " + (
        f"classics ↔ recent {prefs.recency:+.2f}"
    )


def _title(taste: Taste, movie_id: int) -> str:
    positions, known = taste.catalog.positions([movie_id])
    return taste.catalog.titles[int(positions[0])] if known[0] else f"movie {movie_id} (not in the catalog)"


def _when(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _ratings(taste: Taste) -> list[dict]:
    history = taste.state.history
    not_seeds = set(taste.feedback_ids(FeedbackKind.NOT_A_SEED))
    newest_first = zip(history.item_ids[::-1], history.ratings[::-1], history.timestamps[::-1], strict=True)
    return [
        {
            "movie_id": int(movie),
            "title": _title(taste, int(movie)),
            "score": float(score),
            "when": _when(at),
            "seed": int(movie) not in not_seeds,
        }
        for movie, score, at in newest_first
    ]


def _feedback(taste: Taste) -> list[dict]:
    snoozed = set(taste.snoozed_ids)
    found = []
    for kind in FeedbackKind:
        for movie, at in taste.state.feedback.get(kind.value, ()):
            expired = kind == FeedbackKind.SNOOZED and movie not in snoozed
            until = _when(at) + SNOOZE if kind == FeedbackKind.SNOOZED else None
            found.append({"kind": kind.label, "movie_id": movie, "title": _title(taste, movie), "when": _when(at),
                          "until": until, "expired": expired})  # fmt: skip
    return found


def _figures(taste: Taste, rows: list[InspectedRow]) -> list[Figure]:
    """The person's Top picks against the site: the same health metrics the training holdout stores."""
    top = next((row for row in rows if row.key == "top-picks"), None)
    shown = [card.movie_id for card in top.cards[:FIGURE_CARDS]] if top else []
    people = max(Rating.objects.values("user_id").distinct().count(), 1)
    positions, known = taste.catalog.positions(shown)
    positions = positions[known]
    counts = taste.stats.counts[positions]
    shares = {movie: max(int(count), 1) / people for movie, count in zip(shown, counts, strict=False)}
    names = taste.catalog.genre_names
    genres = {int(taste.catalog.ids[p]): [names[g] for g in np.flatnonzero(taste.catalog.genres[p])] for p in positions}
    version = ModelVersion.objects.filter(family="blend", status=ModelVersion.Status.ACTIVE).first()
    site = (version.metrics or {}).get("blend", {}) if version else {}
    novelty = metrics.novelty([shown], shares) if shown else None
    diversity = metrics.intra_list_diversity(shown, genres) if len(shown) > 1 else None
    rated = taste.stats.counts[taste.stats.counts > 0]
    return [
        Figure(
            "Novelty", novelty, site.get("novelty"), "Mean self-information of Top picks: higher is less mainstream."
        ),
        Figure("Diversity", diversity, site.get("diversity"), "1 - mean genre similarity between Top picks."),
        Figure(
            "Ratings per movie shown",
            float(np.mean(counts)) if len(counts) else None,
            float(np.median(rated)) if len(rated) else None,
            "How many people rated Top picks' movies, against the catalog's median.",
        ),
    ]


@dataclass(frozen=True)
class Audience:
    person: AbstractBaseUser
    row: str
    position: int  # 1-based


@dataclass(frozen=True)
class InspectedMovie:
    movie: Movie
    neighbours: list[tuple[str, list[tuple[int, str, float]]]]  # model label -> (movie id, title, similarity)
    audience: list[Audience]
    checked: int  # people whose pages were laid out


def movie_report(movie: Movie, *, people: int, limit: int) -> InspectedMovie:
    """``movie``'s nearest neighbours in every model that has them, and who among the ``people`` most recently
    active would see it on their page, in which row and place."""
    taste = taste_for(None)
    neighbours = []
    for label, model in active_models(taste):
        if hasattr(model, "similar_items") and movie.pk in set(model.item_ids.tolist()):
            found = model.similar_items(movie.pk, NEIGHBOURS)
            neighbours.append((label, [(item, _title(taste, item), round(value, 3)) for item, value in found]))
    recent = (
        get_user_model()
        .objects.annotate(last=Max("ratings__updated"))
        .filter(last__isnull=False)
        .order_by("-last", "-pk")[:people]
    )
    audience, checked = [], 0
    for person in recent:
        checked += 1
        page = taste_for(person).page(limit)
        for spec, picks in page.rows():
            place = next((i for i, pick in enumerate(picks) if pick.movie_id == movie.pk), None)
            if place is not None:
                audience.append(Audience(person=person, row=spec.title, position=place + 1))
                break
    return InspectedMovie(movie=movie, neighbours=neighbours, audience=audience, checked=checked)


def log_visit(*, staff: AbstractBaseUser, subject: str, subject_id: int, label: str) -> Inspection:
    return Inspection.objects.create(staff=staff, subject=subject, subject_id=subject_id, subject_label=label[:300])
