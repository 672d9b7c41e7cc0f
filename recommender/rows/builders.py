"""One builder per row: which movies are candidates for it, scored how, and why each one fits.

A builder reads a :class:`~recommender.rows.person.Taste` and returns :class:`Candidates`; the page
(``recommender.rows.page``) filters, ranks and de-duplicates them. Top picks are the served blend's
ranking (``recommender.algorithms.blend``), unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ratings.choices import FeedbackKind, TopPicksSource
from recommender.rows.inputs import TRENDING_MIN_RATINGS, TRENDING_WINDOW
from recommender.rows.reasons import TASTE_GENRES, join_names
from recommender.rows.serving import COLLABORATIVE, CONTENT, percentiles

if TYPE_CHECKING:
    from recommender.rows.person import Taste

BECAUSE_ROWS = 3
SOURCE_LABELS = dict(TopPicksSource.choices)
#: "Popular in <genre>" rows: fewer once other rows have the person's ratings to work from.
GENRE_ROWS_RATED, GENRE_ROWS_COLD = 2, 3
ANONYMOUS_GENRE_ROWS = 4
#: A signed-in person's "Popular in <genre>" shows the genre's movies with at least this quantile of the
#: rating counts (0: any rated movie), ordered by the blend for them. On ml-100k's temporal validation split
#: (`make tune TUNE_ARGS="--rows --seeds 3"`), NDCG@10 0.0976 ± 0.0052 at the median and 0.0981 ± 0.0056 at 0,
#: a tie, so the median: the row's title promises popular films, and Hidden gems has those below it. In the
#: row, the blend's order scores 0.2551 ± 0.0150 against 0.0892 ± 0.0043 for the most rated first.
GENRE_POPULAR_QUANTILE = 0.5
#: A hidden gem has at least this many ratings (fewer says nothing) and at most the median count.
GEM_MIN_RATINGS = 3
GEM_MIN_STARS = 3.5
#: "New in the catalog" considers this many most recently added movies having at most NEW_MAX_RATINGS ratings.
NEW_CANDIDATES = 200
NEW_MAX_RATINGS = 10
#: ... and that the stars do not expect the person to dislike (a new movie predicted at 2.5 is no suggestion).
NEW_MIN_STARS = 3.5


@dataclass(frozen=True)
class RowSpec:
    key: str
    title: str
    kind: str
    seed: int | None = None  # the seed movie position ("because") or genre column ("popular-in", "genre")


@dataclass(frozen=True)
class Candidates:
    """One row before filtering: a score per catalog position (NaN = not a candidate) and how to explain each."""

    scores: np.ndarray
    reason: Callable[[int], str]
    #: False where this row may not show a movie even if it scores (default: Taste.banned).
    allowed: np.ndarray | None = None
    #: 0..1: how much the page trades relevance for variety within the row (maximal marginal relevance).
    adventure: float = 0.0


def _top_picks(taste: Taste, spec: RowSpec) -> Candidates:
    return Candidates(
        taste.top_picks,
        lambda p: taste.personal_reason(p) or "Popular with MovieRec viewers",
        adventure=taste.preferences.adventure,
    )


def _because(taste: Taste, spec: RowSpec) -> Candidates:
    seed = int(spec.seed)
    vector, _ = taste.similarity(int(taste.catalog.ids[seed]), (COLLABORATIVE, CONTENT))
    text = taste.liked[seed].format(title=taste.catalog.titles[seed])
    # Similar to the seed first, but among equally similar movies the ones the blend expects this person to like:
    # a neighbour of a loved movie can still be one they would not enjoy (x0.5 at the blend's bottom, x1.5 at its top).
    fit = 0.5 + np.clip(np.nan_to_num(taste.blend, nan=0.5), 0.0, 1.0)
    return Candidates(np.where(vector > 0, vector * fit, np.nan), lambda p: text)


def _fans_like_you(taste: Taste, spec: RowSpec) -> Candidates:
    return Candidates(taste.scores(taste.models.ncf), lambda p: "Fans like you also loved it")


def _up_next(taste: Taste, spec: RowSpec) -> Candidates:
    last_positions, known = taste.catalog.positions(taste.history.item_ids[-1:])
    text = f"Up next after {taste.catalog.titles[int(last_positions[0])]}" if known.all() else "Up next for you"
    return Candidates(taste.scores(taste.models.sequence), lambda p: text)


def _popular_in(taste: Taste, spec: RowSpec) -> Candidates:
    genre = int(spec.seed)
    text = f"Popular in {taste.catalog.genre_names[genre]}"
    in_genre = taste.catalog.genres[:, genre]
    if taste.models.blend is None or not len(taste.history):
        # A visitor, someone who has rated nothing yet, or no blend: the genre's most rated movies first.
        return Candidates(np.where(in_genre, taste.rated_popularity, np.nan), lambda p: text)
    # The genre's popular movies, in Top picks' order (the blend) for this person.
    popular = in_genre & (taste.stats.counts >= max(taste.stats.rated_quantile(GENRE_POPULAR_QUANTILE), 1.0))
    return Candidates(np.where(popular, np.nan_to_num(taste.blend, nan=-1.0), np.nan), lambda p: text)


def _hidden_gems(taste: Taste, spec: RowSpec) -> Candidates:
    counts = taste.stats.counts
    few = (counts >= GEM_MIN_RATINGS) & (counts <= max(taste.stats.rated_median, GEM_MIN_RATINGS))
    predicted = taste.predicted
    base = predicted if predicted is not None else taste.stats.damped_means
    gems = few & (np.nan_to_num(base) >= GEM_MIN_STARS)

    def reason(position: int) -> str:
        if predicted is not None:
            return f"Only {counts[position]} ratings, and we think you'll give it {predicted[position]:.1f} stars"
        return f"Only {counts[position]} ratings, averaging {taste.stats.damped_means[position]:.1f} stars"

    # The gems are the movies the stars promise; among them, Top picks' order (the blend) says which first
    # (on ml-100k's validation split, NDCG@10 among the gems 0.15-0.17, popularity's order 0.03-0.08).
    order = base + taste.feedback_shift if taste.models.blend is None else np.nan_to_num(taste.blend, nan=-1.0)
    return Candidates(np.where(gems, order, np.nan), reason)


def _new_in_catalog(taste: Taste, spec: RowSpec) -> Candidates:
    newest = taste.catalog.newest_first[:NEW_CANDIDATES]
    newest = newest[taste.stats.counts[newest] <= NEW_MAX_RATINGS]
    if taste.predicted is not None:
        stars = taste.predicted[newest]
        newest = newest[~(stars < NEW_MIN_STARS)]  # a movie the stars cannot score (NaN) stays
    # Content similarity to the person's history where the content model knows the movie; otherwise (a movie
    # added after training, or no content model) how much of the person's genre taste it shares, on the same 0..1.
    affinity = taste.catalog.genres[newest] @ taste.genre_preference / max(taste.genre_preference.sum(), 1.0)
    if taste.models.content is not None:
        content = percentiles(taste.scores(taste.models.content))[newest]
        affinity = np.where(np.isfinite(content), content, affinity)
    # Top picks' order (the blend) first, where a blend is active and knows the movie.
    blended = taste.blend[newest] if taste.models.blend is not None else np.full(len(newest), np.nan)
    scores = np.full(len(taste.catalog), np.nan)
    scores[newest] = np.where(np.isfinite(blended), 1.0 + blended, affinity + taste.feedback_shift[newest])

    def reason(position: int) -> str:
        liked = [g for g in taste.top_genres[:TASTE_GENRES] if taste.catalog.genres[position, g]]
        return (
            f"New in the catalog, and you like {taste.catalog.genre_names[liked[0]]}" if liked else "New in the catalog"
        )

    return Candidates(scores, reason)


def _watchlist(taste: Taste, spec: RowSpec) -> Candidates:
    saved = taste.catalog.mask(taste.feedback_ids(FeedbackKind.WATCHLIST))
    # Ranked by what the person will most enjoy first; a movie no model can score still shows, last.
    scores = np.where(saved, np.nan_to_num(taste.blend, nan=-1.0), np.nan)
    return Candidates(scores, lambda p: "On your watchlist", allowed=~taste.excluded)


def _popular(taste: Taste, spec: RowSpec) -> Candidates:
    counts = taste.stats.counts
    return Candidates(taste.rated_popularity, lambda p: f"Rated by {counts[p]:,} people")


def _trending(taste: Taste, spec: RowSpec) -> Candidates:
    recent = taste.stats.recent_counts
    days = TRENDING_WINDOW.days
    return Candidates(
        np.where(recent >= TRENDING_MIN_RATINGS, recent, np.nan),
        lambda p: f"Trending: {recent[p]:,} ratings in the last {days} days",
    )


BUILDERS: dict[str, Callable[[Taste, RowSpec], Candidates]] = {
    "top-picks": _top_picks,
    "because": _because,
    "fans-like-you": _fans_like_you,
    "up-next": _up_next,
    "popular-in": _popular_in,
    "hidden-gems": _hidden_gems,
    "new-in-catalog": _new_in_catalog,
    "watchlist": _watchlist,
    "popular": _popular,
    "trending": _trending,
    "genre": _popular_in,
}


def signed_in_specs(taste: Taste) -> list[RowSpec]:
    """The rows of a signed-in person's home page, in order; cheap (no model scores are computed)."""
    catalog, models = taste.catalog, taste.models
    specs = [RowSpec("top-picks", top_picks_title(taste), "top-picks")]
    for seed in taste.because_seeds:
        movie_id = int(catalog.ids[seed])
        specs.append(RowSpec(f"because-{movie_id}", f"Because you rated {catalog.titles[seed]}", "because", seed))
    if models.ncf is not None:
        specs.append(RowSpec("fans-like-you", "Fans like you also loved", "fans-like-you"))
    if models.sequence is not None and len(taste.history):
        specs.append(RowSpec("up-next", "Up next for you", "up-next"))
    genre_rows = GENRE_ROWS_RATED if len(taste.history) else GENRE_ROWS_COLD
    for genre in taste.top_genres[:genre_rows]:
        name, slug = catalog.genre_names[genre], catalog.genre_slugs[genre]
        specs.append(RowSpec(f"popular-in-{slug}", f"Popular in {name}", "popular-in", genre))
    specs.append(RowSpec("hidden-gems", "Hidden gems", "hidden-gems"))
    specs.append(RowSpec("new-in-catalog", "New in the catalog", "new-in-catalog"))
    if taste.feedback_ids(FeedbackKind.WATCHLIST):
        specs.append(RowSpec("watchlist", "Your watchlist", "watchlist"))
    return specs


def top_picks_title(taste: Taste) -> str:
    """ "Top picks for you", with the person's switcher and dial settings when any is set."""
    prefs, parts = taste.preferences, []
    if taste.top_picks_source != "balanced":
        parts.append(SOURCE_LABELS[taste.top_picks_source])
    for value, low, high in (
        (prefs.popularity, "more popular", "more hidden gems"),
        (prefs.recency, "more classics", "more recent"),
    ):
        if value:
            parts.append(high if value > 0 else low)
    if prefs.adventure:
        parts.append("more adventurous")
    return " · ".join(["Top picks for you", *parts])


def anonymous_specs(taste: Taste) -> list[RowSpec]:
    """Popular, trending, then the genres with the most ratings."""
    catalog = taste.catalog
    specs = [RowSpec("popular", "Popular on MovieRec", "popular"), RowSpec("trending", "Trending now", "trending")]
    volume = catalog.genres.T.astype(np.float64) @ taste.stats.counts
    for genre in np.lexsort((np.arange(len(volume)), -volume))[:ANONYMOUS_GENRE_ROWS]:
        if volume[genre] > 0:
            name, slug = catalog.genre_names[genre], catalog.genre_slugs[genre]
            specs.append(RowSpec(f"genre-{slug}", f"Popular in {name}", "genre", int(genre)))
    return specs


def similar_to(taste: Taste, movie_id: int, kind: str) -> Candidates:
    """Movies like ``movie_id``: by who liked it ("collaborative") or by what it is ("content").

    Without an active model of that kind the genres shared stand in. What the person
    rated or marked not interested is left out, and so is the movie itself.
    """
    if kind not in (COLLABORATIVE, CONTENT):
        raise ValueError(f"kind must be {COLLABORATIVE!r} or {CONTENT!r}, got {kind!r}")
    vector, source = taste.similarity(movie_id, (kind,), keep=False)
    positions, known = taste.catalog.positions([movie_id])
    seed = int(positions[0]) if known[0] else None
    title = taste.catalog.titles[seed] if seed is not None else "this movie"
    allowed = ~taste.excluded
    if seed is not None:
        allowed[seed] = False

    def reason(position: int) -> str:
        if source == COLLABORATIVE:
            return f"Fans of {title} also liked it"
        shared = taste.shared_genres(seed, position) if seed is not None else []
        return f"Shares {join_names(shared)} with {title}" if shared else f"Similar in style and story to {title}"

    return Candidates(np.where(vector > 0, vector, np.nan), reason, allowed)
