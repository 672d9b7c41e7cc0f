"""Shapes of ratings, feedback and personal data in the API, and validation of their input."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Movie
from catalog.serializers import MovieSummarySerializer
from ratings.choices import SOURCE_EXPLANATIONS, TopPicksSource
from ratings.models import MAX_SCORE, MIN_SCORE, Feedback, Rating
from ratings.selectors import RATING_ORDERS
from ratings.services import score_validate


@extend_schema_field({"type": "number", "minimum": MIN_SCORE, "maximum": MAX_SCORE, "multipleOf": 0.5})
class ScoreField(serializers.Field):
    """A JSON number on the half-star scale; the scale itself is checked by the service's score_validate."""

    default_error_messages = {"type": "Score must be a number, got {kind}."}

    def to_internal_value(self, data: Any) -> float:
        # JSON true would pass float() as 1.0 and "4" as 4.0; a score is a number, nothing else.
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("type", kind=type(data).__name__)
        try:
            return score_validate(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["score"]) from None

    def to_representation(self, value: float) -> float:
        return value


class RatingSerializer(serializers.ModelSerializer):
    movie = MovieSummarySerializer(read_only=True)
    score = ScoreField(read_only=True)

    class Meta:
        model = Rating
        fields = ["movie", "score", "created", "updated"]


class RatingWriteSerializer(serializers.Serializer):
    score = ScoreField(help_text="0.5 to 5 in half steps.")


class RatingQuerySerializer(serializers.Serializer):
    sort = serializers.ChoiceField(choices=list(RATING_ORDERS), default="recent")


class FeedbackSerializer(serializers.ModelSerializer):
    movie = MovieSummarySerializer(read_only=True)

    class Meta:
        model = Feedback
        fields = ["id", "movie", "kind", "created"]


class FeedbackWriteSerializer(serializers.Serializer):
    movie = serializers.PrimaryKeyRelatedField(queryset=Movie.objects.all(), help_text="The movie's id.")
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)


class FeedbackQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices, required=False)


class ExportedRatingSerializer(serializers.Serializer):
    movie_id = serializers.IntegerField()
    movielens_id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


class ExportedFeedbackSerializer(serializers.Serializer):
    movie_id = serializers.IntegerField()
    movielens_id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)
    created = serializers.DateTimeField()


class ExportedAccountSerializer(serializers.Serializer):
    email = serializers.CharField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class ExportedProfileSerializer(serializers.Serializer):
    movielens_id = serializers.IntegerField(allow_null=True)
    age = serializers.IntegerField(allow_null=True)
    gender = serializers.CharField()
    occupation = serializers.CharField()
    zip_code = serializers.CharField()
    onboarded_at = serializers.DateTimeField(allow_null=True)
    favourite_genres = serializers.ListField(child=serializers.CharField())


class ExportedDeviceSerializer(serializers.Serializer):
    device = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)


class ExportSerializer(serializers.Serializer):
    """Documents movierec.accounts.selectors.account_export, whose plain data the export returns as is."""

    username = serializers.CharField()
    account = ExportedAccountSerializer()
    profile = ExportedProfileSerializer(allow_null=True)
    devices = ExportedDeviceSerializer(many=True)
    ratings = ExportedRatingSerializer(many=True)
    feedback = ExportedFeedbackSerializer(many=True)


class DataDeletedSerializer(serializers.Serializer):
    ratings_deleted = serializers.IntegerField()
    feedback_deleted = serializers.IntegerField()


class PreferencesSerializer(serializers.Serializer):
    """The recommender switcher and taste dials, as on the site's home page (ratings.choices explains each)."""

    top_picks_source = serializers.ChoiceField(
        choices=TopPicksSource.choices,
        help_text=" ".join(f"{value}: {SOURCE_EXPLANATIONS[value]}" for value in TopPicksSource.values),
    )
    dial_popularity = serializers.FloatField(min_value=-1, max_value=1, help_text="-1 popular ... 1 hidden gems.")
    dial_adventure = serializers.FloatField(min_value=0, max_value=1, help_text="0 familiar ... 1 adventurous.")
    dial_recency = serializers.FloatField(min_value=-1, max_value=1, help_text="-1 classics ... 1 recent.")


class ImportUploadSerializer(serializers.Serializer):
    export = serializers.FileField(help_text="A Letterboxd ratings.csv or an IMDb ratings export (CSV).")


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField()


class ImportMatchSerializer(ImportRowSerializer):
    movie = MovieSummarySerializer()


class ImportAmbiguousSerializer(ImportRowSerializer):
    candidates = MovieSummarySerializer(many=True)


class ImportPreviewSerializer(serializers.Serializer):
    source = serializers.CharField()
    found = ImportMatchSerializer(many=True)
    ambiguous = ImportAmbiguousSerializer(many=True, help_text="Pick one candidate per line in the import's picks.")
    unmatched = ImportRowSerializer(many=True)
    plan = serializers.CharField(help_text="Signed; send it back unchanged to import (valid for an hour).")


class ImportRequestSerializer(serializers.Serializer):
    plan = serializers.CharField()
    picks = serializers.DictField(
        child=serializers.IntegerField(), required=False, default=dict,
        help_text="Line number -> the chosen movie id, for each ambiguous line to import (the others are left out).",
    )  # fmt: skip


class ImportDoneSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    kept = serializers.IntegerField(help_text="Movies already rated here, which keep the rating given here.")
