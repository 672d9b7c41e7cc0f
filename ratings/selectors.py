"""Reads about one person's ratings and feedback, shaped for the pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from catalog.models import Genre, Movie
from ratings.choices import PREFERENCE_DEFAULTS, SNOOZE, SOURCE_EXPLANATIONS, TopPicksSource
from ratings.models import Feedback, Profile, Rating

Kind = Feedback.Kind

#: How My ratings can be ordered: the ``sort`` value -> ORM ordering.
RATING_ORDERS: dict[str, tuple[str, ...]] = {
    "recent": ("-updated", "-id"),
    "oldest": ("updated", "id"),
    "best": ("-score", "-updated"),
    "worst": ("score", "-updated"),
    "title": ("movie__sort_title", "movie__year"),
}


@dataclass(frozen=True)
class MovieState:
    """What one person has said about one movie."""

    rating: float | None = None
    kinds: frozenset[str] = frozenset()

    @property
    def watchlist(self) -> bool:
        return Kind.WATCHLIST in self.kinds

    @property
    def hidden(self) -> bool:
        return Kind.NOT_INTERESTED in self.kinds

    @property
    def snoozed(self) -> bool:
        """Marked "Not now" (the kinds are read with SNOOZE in mind: see movie_states)."""
        return Kind.SNOOZED in self.kinds

    @property
    def not_a_seed(self) -> bool:
        return Kind.NOT_A_SEED in self.kinds

    @property
    def more(self) -> bool:
        return Kind.MORE_LIKE_THIS in self.kinds

    @property
    def less(self) -> bool:
        return Kind.LESS_LIKE_THIS in self.kinds


class CardLike(Protocol):
    movie: Movie
    reason: str
    predicted_rating: float | None
    average: tuple[float, int] | None


@dataclass(frozen=True)
class Tile:
    """One movie card as the templates draw it: the movie, why it is shown, and the viewer's state."""

    movie: Movie
    state: MovieState = field(default_factory=MovieState)
    reason: str = ""
    predicted_rating: float | None = None
    #: (everyone's mean rating, how many rated it): what a visitor sees instead of a prediction.
    average: tuple[float, int] | None = None


def movie_states(*, user: AbstractBaseUser | AnonymousUser, movie_ids: Iterable[int]) -> dict[int, MovieState]:
    """The viewer's rating and feedback for each movie: one query however many movies.

    Written as SQL: every row of cards reads it, and the ORM took a millisecond to compile its two queries (or
    their UNION), twice what the database takes to answer them in one round trip.
    """
    ids = list(dict.fromkeys(movie_ids))
    if not user.is_authenticated or not ids:
        return {}
    rating, feedback = Rating._meta.db_table, Feedback._meta.db_table
    among = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT movie_id, score, NULL FROM {rating} WHERE user_id = %s AND movie_id IN ({among}) UNION ALL "
            f"SELECT movie_id, NULL, kind FROM {feedback} WHERE user_id = %s AND movie_id IN ({among}) "
            f"AND NOT (kind = %s AND created < %s)",  # a snooze over is no snooze
            [user.pk, *ids, user.pk, *ids, Kind.SNOOZED, timezone.now() - SNOOZE],
        )
        rows = cursor.fetchall()
    scores: dict[int, float] = {}
    kinds: dict[int, set[str]] = defaultdict(set)
    for movie_id, score, kind in rows:
        if kind is None:
            scores[movie_id] = float(score)
        else:
            kinds[movie_id].add(kind)
    return {
        movie_id: MovieState(rating=scores.get(movie_id), kinds=frozenset(kinds.get(movie_id, ())))
        for movie_id in ids
        if movie_id in scores or movie_id in kinds
    }


def movie_state(*, user: AbstractBaseUser | AnonymousUser, movie: Movie) -> MovieState:
    return movie_states(user=user, movie_ids=[movie.pk]).get(movie.pk, MovieState())


def card_tiles(
    *, user: AbstractBaseUser | AnonymousUser, cards: Sequence[CardLike], states: Mapping[int, MovieState] | None = None
) -> list[Tile]:
    """Tiles for recommendation cards; a constant number of queries (genres, what the viewer said about them).

    ``states`` is what the viewer said about the cards' movies when the caller knows it already (a row of the
    home page: ``recommender.services.recommend_row``); it is read otherwise.
    """
    movies = [card.movie for card in cards]
    prefetch_related_objects(movies, "genres")
    if states is None:
        states = movie_states(user=user, movie_ids=[movie.pk for movie in movies])
    return [
        Tile(
            movie=card.movie,
            state=states.get(card.movie.pk, MovieState()),
            reason=card.reason,
            predicted_rating=card.predicted_rating,
            average=card.average,
        )
        for card in cards
    ]


def movie_tiles(*, user: AbstractBaseUser | AnonymousUser, movies: Sequence[Movie]) -> list[Tile]:
    """Tiles for plain movie lists (search, onboarding): no reason, no prediction."""
    prefetch_related_objects(list(movies), "genres")
    states = movie_states(user=user, movie_ids=[movie.pk for movie in movies])
    return [Tile(movie=movie, state=states.get(movie.pk, MovieState())) for movie in movies]


def hidden_movie_ids(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Feedback]:
    """Movies the person marked Not interested (until undone) or Not now (for SNOOZE), as a subquery: they stay
    out of every list."""
    snoozed = Q(kind=Kind.SNOOZED, created__gte=timezone.now() - SNOOZE)
    return Feedback.objects.filter(Q(kind=Kind.NOT_INTERESTED) | snoozed, user_id=user.pk).values("movie_id")


def user_ratings(*, user: AbstractBaseUser, sort: str = "recent") -> QuerySet[Rating]:
    return (
        Rating.objects.filter(user=user)
        .select_related("movie")
        .prefetch_related("movie__genres")
        .order_by(*RATING_ORDERS[sort])
    )


def feedback_movies(*, user: AbstractBaseUser, kind: str) -> list[Movie]:
    """The movies of one feedback kind, newest first (the watchlist, the hidden list; snoozes still running)."""
    entries = Feedback.objects.filter(user=user, kind=kind)
    if kind == Kind.SNOOZED:
        entries = entries.filter(created__gte=timezone.now() - SNOOZE)
    return [
        feedback.movie
        for feedback in entries.select_related("movie").prefetch_related("movie__genres").order_by("-created", "-id")
    ]


def user_feedback(*, user: AbstractBaseUser, kind: str | None = None) -> QuerySet[Feedback]:
    """The person's feedback entries (all kinds, or one), newest first, with their movies (the API's list)."""
    entries = Feedback.objects.filter(user=user)
    if kind:
        entries = entries.filter(kind=kind)
    return entries.select_related("movie").prefetch_related("movie__genres").order_by("-created", "-id")


def user_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    return {
        "ratings": Rating.objects.filter(user=user).count(),
        "feedback": Feedback.objects.filter(user=user).count(),
    }


def user_data_export(*, user: AbstractBaseUser) -> dict[str, Any]:
    """Everything a person has told MovieRec, as plain data for the CSV and JSON downloads."""
    ratings = [
        {
            "movie_id": rating.movie_id,
            "movielens_id": rating.movie.movielens_id,
            "title": rating.movie.title,
            "year": rating.movie.year,
            "score": rating.score,
            "created": rating.created.isoformat(),
            "updated": rating.updated.isoformat(),
        }
        for rating in Rating.objects.filter(user=user).select_related("movie").order_by("created", "id")
    ]
    feedback = [
        {
            "movie_id": item.movie_id,
            "movielens_id": item.movie.movielens_id,
            "title": item.movie.title,
            "year": item.movie.year,
            "kind": item.kind,
            "created": item.created.isoformat(),
        }
        for item in Feedback.objects.filter(user=user).select_related("movie").order_by("created", "id")
    ]
    return {"username": user.get_username(), "ratings": ratings, "feedback": feedback}


def profile_of(*, user: AbstractBaseUser) -> Profile | None:
    return Profile.objects.filter(user=user).prefetch_related("favourite_genres").first()


def onboarding_groups(
    *, user: AbstractBaseUser, favourites: Iterable[Genre] = (), groups: int = 5, per_group: int = 6, pool: int = 400
) -> list[tuple[str, list[Movie]]]:
    """Diverse groups of well-known movies to rate: the favourite genres first, then other big genres.

    1. Take the ``pool`` most-rated movies the person has not rated yet (one query, genres prefetched).
    2. Open with "Most rated overall", then one group per genre, favourites first, then the genres with most
       movies in the pool.
    3. A movie goes into the first group that wants it, so no movie shows twice on the page.
    """
    candidates = list(
        Movie.objects.filter(rating_stats__count__gt=0)
        .exclude(pk__in=Rating.objects.filter(user=user).values("movie_id"))
        .order_by("-rating_stats__count", "sort_title")
        .prefetch_related("genres")[:pool]
    )
    by_genre: dict[Genre, list[Movie]] = defaultdict(list)
    for movie in candidates:
        for genre in movie.genres.all():
            by_genre[genre].append(movie)
    favourite_list = list(favourites)
    others = sorted((genre for genre in by_genre if genre not in favourite_list), key=lambda g: -len(by_genre[g]))
    plan: list[tuple[str, list[Movie]]] = [("Most rated overall", candidates)]
    plan += [(f"Popular in {genre.name}", by_genre[genre]) for genre in [*favourite_list, *others]]

    used: set[int] = set()
    result = []
    for title, movies in plan:
        chosen = [movie for movie in movies if movie.pk not in used][:per_group]
        if len(chosen) < per_group // 2:
            continue
        used.update(movie.pk for movie in chosen)
        result.append((title, chosen))
        if len(result) == groups:
            break
    return result


def preferences_values(*, user: AbstractBaseUser) -> dict[str, object]:
    """The person's Top picks controls as stored (the defaults when they have no profile yet)."""
    row = Profile.objects.filter(user_id=user.pk).values(*PREFERENCE_DEFAULTS).first()
    return row or dict(PREFERENCE_DEFAULTS)


def preferences_context(*, user: AbstractBaseUser) -> dict[str, object]:
    """What the switcher and dials panel draws: the saved values and each choice's one-line explanation."""
    values = preferences_values(user=user)
    return {
        "prefs": values,
        "sources": [(value, label, SOURCE_EXPLANATIONS[value]) for value, label in TopPicksSource.choices],
        "customised": values != PREFERENCE_DEFAULTS,
    }


#: How many movies a star's hint names.
EXAMPLES_PER_SCORE = 2


def rating_examples(*, user: AbstractBaseUser) -> dict[float, list[str]]:
    """Score -> the titles of up to EXAMPLES_PER_SCORE movies the person gave it, the most recently rated first
    (freshest in mind): one query over the person's own ratings.

    Ranked in the database, so someone with thousands of ratings sends back twenty rows, not thousands. Written
    as SQL: every star control on a page reads it, and the ORM's window-and-filter spelling of the same query
    took about 8 ms per page to compile, against well under one to run. The titles are looked up for the twenty
    rows kept, not joined before ranking: PostgreSQL then hashed the whole catalog to name a person's every
    rating, 14 ms per request at the 25M shape for someone with a few ratings, against 0.2 ms now.
    """
    rating, movie = Rating._meta.db_table, Movie._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ranked.score, (SELECT m.title FROM {movie} m WHERE m.id = ranked.movie_id) FROM "
            f"(SELECT score, movie_id, ROW_NUMBER() OVER (PARTITION BY score ORDER BY updated DESC, id DESC) AS place "
            f"FROM {rating} WHERE user_id = %s) ranked WHERE ranked.place <= %s ORDER BY ranked.score, ranked.place",
            [user.pk, EXAMPLES_PER_SCORE],
        )
        rows = cursor.fetchall()
    examples: dict[float, list[str]] = defaultdict(list)
    for score, title in rows:
        examples[float(score)].append(title)
    return dict(examples)
