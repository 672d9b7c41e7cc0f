"""Reads for the catalog pages: search and browse, one movie's numbers, and the data behind Insights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, ExpressionWrapper, F, FloatField, Max, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf, TruncMonth

from catalog.models import Credit, Genre, Movie, MovieTag
from ratings.models import SCORES, MovieRatingStats, Profile, Rating, stars_column
from ratings.selectors import hidden_movie_ids

#: Damping for the ``rating`` order: a movie's mean is pulled towards the global mean as if it had this many
#: extra average ratings, so one lone 5-star rating does not top the list.
RATING_PRIOR_WEIGHT = 10

#: The orders the movie list offers (API ``ordering`` and the browse page); a leading "-" reverses one.
#: popularity is the number of ratings; rating the mean score, damped as above.
MOVIE_ORDERS: dict[str, str] = {
    "title": "sort_title",
    "year": "year",
    "popularity": "rating_count",
    "rating": "rating_damped",
    "added": "created",
}


def movie_list(
    *,
    q: str = "",
    genre: Genre | None = None,
    year_min: int | None = None,
    year_max: int | None = None,
    ordering: str = "title",
    user: AbstractBaseUser | AnonymousUser | None = None,
) -> QuerySet[Movie]:
    """Movies whose title or credits hold every word of ``q`` and that pass the filters, with ``rating_count`` and
    ``rating_mean`` annotated and genres prefetched.

    Given a signed-in ``user``, movies they marked Not interested are left out until they undo it.
    """
    movies = Movie.objects.all()
    for word in q.split():
        # A word matches the title or the name of someone who directed or played in it (TMDB's credits). A
        # UNION of the two id sets, not an OR, so PostgreSQL answers each half from its trigram index.
        titled = Movie.objects.order_by().filter(title__icontains=word).values("pk")
        credited = Credit.objects.order_by().filter(person__name__icontains=word).values("movie_id")
        movies = movies.filter(pk__in=titled.union(credited))
    if genre is not None:
        movies = movies.filter(genres=genre)
    if year_min is not None:
        movies = movies.filter(year__gte=year_min)
    if year_max is not None:
        movies = movies.filter(year__lte=year_max)
    if user is not None and user.is_authenticated:
        movies = movies.exclude(pk__in=hidden_movie_ids(user=user))
    movies = with_rating_stats(movies)
    name = ordering.removeprefix("-")
    if name == "rating":
        prior = global_mean_rating()
        movies = movies.annotate(
            rating_damped=(Coalesce(F("rating_stats__score_sum"), 0.0) + Value(prior * RATING_PRIOR_WEIGHT))
            / (F("rating_count") + Value(float(RATING_PRIOR_WEIGHT)))
        )
    primary = F(MOVIE_ORDERS[name])
    primary = primary.desc(nulls_last=True) if ordering.startswith("-") else primary.asc(nulls_last=True)
    return movies.order_by(primary, "sort_title", "year", "pk").prefetch_related("genres")


def with_rating_stats(movies: QuerySet[Movie]) -> QuerySet[Movie]:
    """``movies`` with ``rating_count`` and ``rating_mean`` annotated from MovieRatingStats (one join, no
    aggregate over the ratings, so the cost does not grow with them)."""
    count = Coalesce(F("rating_stats__count"), 0)
    return movies.annotate(
        rating_count=count,
        rating_mean=ExpressionWrapper(
            F("rating_stats__score_sum") / NullIf(F("rating_stats__count"), 0), output_field=FloatField()
        ),
    )


def genre_list() -> QuerySet[Genre]:
    return Genre.objects.annotate(movie_count=Count("movies")).order_by("name")


def global_mean_rating() -> float:
    totals = MovieRatingStats.objects.aggregate(n=Sum("count"), total=Sum("score_sum"))
    return totals["total"] / totals["n"] if totals["n"] else 3.5


def title_suggestions(*, user: AbstractBaseUser | AnonymousUser, query: str, limit: int = 8) -> list[Movie]:
    """Autocomplete: the best-known movies whose title holds every word typed."""
    if not query.strip():
        return []
    return list(movie_list(q=query, ordering="-popularity", user=user)[:limit])


@dataclass(frozen=True)
class MovieStats:
    count: int
    mean: float | None
    #: (score, how many people gave it), in score order.
    histogram: list[tuple[float, int]]


def movie_stats(*, movie: Movie) -> MovieStats:
    """Rating count, mean and histogram: one row of MovieRatingStats."""
    row = MovieRatingStats.objects.filter(movie=movie).first()
    counts = {score: n for score, n in row.histogram() if n} if row else {}
    total = sum(counts.values())
    mean = sum(score * n for score, n in counts.items()) / total if total else None
    # Whole stars only unless someone used a half star: 100k-style data would otherwise show five empty bars.
    halves = any(score % 1 for score in counts)
    scores = SCORES if halves else tuple(score for score in SCORES if score % 1 == 0)
    return MovieStats(count=total, mean=mean, histogram=[(score, counts.get(score, 0)) for score in scores])


def movie_tags(*, movie: Movie, limit: int = 15) -> list[MovieTag]:
    return list(MovieTag.objects.filter(movie=movie).select_related("tag").order_by("-count", "tag__name")[:limit])


# --- Insights -------------------------------------------------------------------------------------------------


def data_version() -> tuple[int, str, int]:
    """Changes whenever anything the Insights charts show changes: the cache key for them."""
    count = MovieRatingStats.objects.aggregate(n=Sum("count"))["n"] or 0
    latest = Rating.objects.aggregate(latest=Max("updated"))["latest"]
    return count, latest.isoformat() if latest else "", Profile.objects.count()


def rating_distribution() -> list[tuple[float, int]]:
    """(score, ratings) for the scores anyone gave, in score order."""
    columns = {score: stars_column(score) for score in SCORES}
    totals = MovieRatingStats.objects.aggregate(**{name: Sum(name) for name in columns.values()})
    return [(score, totals[name]) for score, name in columns.items() if totals[name]]


def ratings_per_user() -> list[int]:
    """How many ratings each person has, most first (the long tail)."""
    return list(Rating.objects.values("user").annotate(n=Count("id")).order_by("-n").values_list("n", flat=True))


def ratings_per_movie() -> list[int]:
    return list(MovieRatingStats.objects.filter(count__gt=0).order_by("-count").values_list("count", flat=True))


def genre_numbers() -> list[tuple[str, int, float | None]]:
    """(genre, ratings, mean rating) for every genre, most rated first."""
    rows = Genre.objects.annotate(
        n=Coalesce(Sum("movies__rating_stats__count"), 0), total=Sum("movies__rating_stats__score_sum")
    ).order_by("-n", "name")
    return [(genre.name, genre.n, genre.total / genre.n if genre.n else None) for genre in rows]


def ratings_per_month() -> list[tuple[date, int]]:
    return [
        (row["month"].date(), row["n"])
        for row in Rating.objects.annotate(month=TruncMonth("created"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    ]


def demographics() -> dict[str, list[tuple[str, int]]]:
    """Age groups, gender and occupation counts over the profiles that have them (MovieLens users do)."""
    profiles = Profile.objects.all()
    ages = profiles.filter(age__isnull=False).values_list("age", flat=True)
    groups = {"under 18": 0, "18-24": 0, "25-34": 0, "35-44": 0, "45-54": 0, "55+": 0}
    for age in ages:
        groups[_age_group(age)] += 1
    genders = dict(Profile.Gender.choices)
    return {
        "age": [(label, n) for label, n in groups.items()] if any(groups.values()) else [],
        "gender": [
            (genders.get(code, code), n)
            for code, n in profiles.exclude(gender="").values_list("gender").annotate(n=Count("id")).order_by("-n")
        ],
        "occupation": list(
            profiles.exclude(occupation="").values_list("occupation").annotate(n=Count("id")).order_by("-n")
        ),
    }


def _age_group(age: int) -> str:
    for limit, label in ((18, "under 18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54")):
        if age < limit:
            return label
    return "55+"
