from __future__ import annotations

from django.conf import settings
from django.db import models

from catalog.models import Genre, Movie
from ratings.choices import FeedbackKind, TopPicksSource

#: The ten allowed scores, 0.5 to 5.0 in half steps. Halves are exact in binary
#: floating point, so the database CHECK below compares them exactly.
SCORES: tuple[float, ...] = tuple(step / 2 for step in range(1, 11))
MIN_SCORE, MAX_SCORE = SCORES[0], SCORES[-1]


class Rating(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="ratings")
    score = models.FloatField(help_text="0.5 to 5.0 in half steps.")
    created = models.DateTimeField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "movie"], name="ratings_rating_one_per_user_movie"),
            models.CheckConstraint(condition=models.Q(score__in=SCORES), name="ratings_rating_score_half_steps"),
        ]
        indexes = [
            models.Index(fields=["user", "created"], name="ratings_user_timeline"),
            models.Index(fields=["movie", "score"], name="ratings_movie_scores"),
            models.Index(fields=["updated"], name="ratings_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.user} rated {self.movie} {self.score:g}"


def stars_column(score: float) -> str:
    """The MovieRatingStats field counting ``score``: stars_0_5 ... stars_5_0."""
    return "stars_" + f"{score:.1f}".replace(".", "_")


class MovieRatingStats(models.Model):
    """One movie's rating count, score sum and histogram, kept by database triggers on the ratings table.

    Every write to ratings changes these in the same transaction, whatever makes it: the site, the API, an
    import's COPY, a cascade when a person or a movie is deleted (``ratings.stats``). Reads then cost one
    row per movie at any number of ratings. A movie nobody rated has no row.
    """

    movie = models.OneToOneField(Movie, on_delete=models.CASCADE, primary_key=True, related_name="rating_stats")
    count = models.PositiveIntegerField(default=0)
    #: Half stars are exact in binary floating point, so sums of them never drift.
    score_sum = models.FloatField(default=0.0)
    stars_0_5 = models.PositiveIntegerField(default=0)
    stars_1_0 = models.PositiveIntegerField(default=0)
    stars_1_5 = models.PositiveIntegerField(default=0)
    stars_2_0 = models.PositiveIntegerField(default=0)
    stars_2_5 = models.PositiveIntegerField(default=0)
    stars_3_0 = models.PositiveIntegerField(default=0)
    stars_3_5 = models.PositiveIntegerField(default=0)
    stars_4_0 = models.PositiveIntegerField(default=0)
    stars_4_5 = models.PositiveIntegerField(default=0)
    stars_5_0 = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "movie rating statistics"
        verbose_name_plural = "movie rating statistics"
        indexes = [models.Index(fields=["-count"], name="ratings_stats_count")]

    def __str__(self) -> str:
        return f"{self.movie_id}: {self.count} ratings"

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.count if self.count else None

    def histogram(self) -> list[tuple[float, int]]:
        """(score, how many gave it) for all ten scores."""
        return [(score, getattr(self, stars_column(score))) for score in SCORES]


class Feedback(models.Model):
    Kind = FeedbackKind

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback")
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(fields=["user", "movie", "kind"], name="ratings_feedback_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=FeedbackKind.values), name="ratings_feedback_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "kind", "-created"], name="ratings_feedback_user_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.movie}"


class Profile(models.Model):
    """Optional facts about a person: demographics from MovieLens and onboarding choices."""

    class Gender(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    movielens_id = models.PositiveIntegerField(unique=True, null=True, blank=True, verbose_name="MovieLens id")
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    occupation = models.CharField(max_length=64, blank=True)
    zip_code = models.CharField(max_length=16, blank=True)
    favourite_genres = models.ManyToManyField(Genre, blank=True, related_name="fans")
    onboarded_at = models.DateTimeField(null=True, blank=True)
    # The person's own controls over Top picks (recommender.rows.inputs.Preferences); the defaults change nothing.
    top_picks_source = models.CharField(max_length=16, choices=TopPicksSource.choices, default=TopPicksSource.BALANCED)
    dial_popularity = models.FloatField(default=0.0, help_text="-1 popular ... 1 hidden gems.")
    dial_adventure = models.FloatField(default=0.0, help_text="0 familiar ... 1 adventurous (diverse).")
    dial_recency = models.FloatField(default=0.0, help_text="-1 classics ... 1 recent.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dial_popularity__gte=-1, dial_popularity__lte=1)
                & models.Q(dial_adventure__gte=0, dial_adventure__lte=1)
                & models.Q(dial_recency__gte=-1, dial_recency__lte=1),
                name="ratings_profile_dials_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(age__isnull=True) | models.Q(age__gte=1, age__lte=120),
                name="ratings_profile_age_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"
