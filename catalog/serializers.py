"""Shapes of catalog data in the API, and validation of catalog query and write input."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catalog.models import Genre, Movie
from catalog.selectors import MOVIE_ORDERS


class GenreSlugField(serializers.SlugRelatedField):
    """A genre named by its slug."""

    default_error_messages = {"null_characters": "Null characters are not allowed."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="slug", queryset=Genre.objects.all(), **kwargs)

    def to_internal_value(self, data: Any) -> Genre:
        # No slug holds a NUL, and PostgreSQL refuses one in a query (a 500 instead of a 400).
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)


class GenreSerializer(serializers.ModelSerializer):
    movie_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Genre
        fields = ["id", "name", "slug", "movie_count"]


class GenreRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["name", "slug"]


class MovieSummarySerializer(serializers.ModelSerializer):
    """A movie inside another object (a rating, a recommendation card). Expects genres prefetched."""

    genres = GenreRefSerializer(many=True, read_only=True)

    class Meta:
        model = Movie
        fields = ["id", "title", "year", "genres"]


class MovieSerializer(serializers.ModelSerializer):
    """A catalog entry with its rating statistics (annotated by catalog.selectors.movie_list)."""

    genres = GenreRefSerializer(many=True, read_only=True)
    rating_count = serializers.IntegerField(read_only=True, help_text="How many people rated it.")
    rating_mean = serializers.FloatField(read_only=True, allow_null=True, help_text="Mean score, 0.5 to 5.")

    class Meta:
        model = Movie
        fields = [
            "id",
            "title",
            "year",
            "release_date",
            "genres",
            "rating_count",
            "rating_mean",
            "movielens_id",
            "imdb_id",
            "tmdb_id",
            "updated",
        ]


class MovieWriteSerializer(serializers.ModelSerializer):
    """Staff input for creating or editing a movie; genres are given by slug."""

    genres = GenreSlugField(many=True, required=False)

    class Meta:
        model = Movie
        fields = ["title", "year", "release_date", "genres", "movielens_id", "imdb_id", "tmdb_id"]
        # Mirrors the database's catalog_movie_year_plausible constraint, so a bad year is a 400 naming the field.
        extra_kwargs = {"year": {"min_value": 1870, "max_value": 2100}}


class MovieQuerySerializer(serializers.Serializer):
    """Query parameters of the movie list: catalog.selectors.movie_list's arguments."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Words in the title.")
    genre = GenreSlugField(required=False, help_text="A genre slug, e.g. sci-fi.")
    year_min = serializers.IntegerField(required=False, min_value=1870, max_value=2100)
    year_max = serializers.IntegerField(required=False, min_value=1870, max_value=2100)
    ordering = serializers.ChoiceField(
        choices=[*MOVIE_ORDERS, *(f"-{name}" for name in MOVIE_ORDERS)],
        default="title",
        help_text="Sort key, ascending; a leading '-' reverses it (-popularity: most rated first). popularity is "
        "the number of ratings; rating the mean score damped towards the overall mean, so one 5 does not win.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("year_min") and attrs.get("year_max") and attrs["year_min"] > attrs["year_max"]:
            raise serializers.ValidationError({"year_max": "year_max must not be before year_min."})
        return attrs
