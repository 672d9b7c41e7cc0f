"""Shapes of recommendations and trained model versions in the API, and validation of their query input."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Movie
from catalog.serializers import MovieSummarySerializer
from movierec.api.pagination import LimitQuerySerializer
from ratings.choices import SOURCE_EXPLANATIONS, TopPicksSource
from recommender.families import FAMILIES
from recommender.models import ModelVersion
from recommender.rows import COLLABORATIVE, CONTENT

#: Where a card movie keeps its rendering (``CardMovieField``).
SUMMARY_ATTRIBUTE = "_card_summary"


@extend_schema_field(MovieSummarySerializer)
class CardMovieField(serializers.Field):
    """A card's movie as ``MovieSummarySerializer`` shows it, rendered once per movie instance.

    Card movies are shared by every request of a process (``recommender.selectors.movies_by_id``), and the
    nested serializer was most of a 20-card answer's rendering. An edited movie is a new instance (the cache
    is emptied), so it is rendered afresh. The rendering is shared: read it, never change it.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, movie: Movie) -> dict:
        summary = movie.__dict__.get(SUMMARY_ATTRIBUTE)
        if summary is None:
            summary = movie.__dict__[SUMMARY_ATTRIBUTE] = MovieSummarySerializer(movie).data
        return summary


class CardSerializer(serializers.Serializer):
    """One recommended movie and why (recommender.rows.Card)."""

    movie = CardMovieField()
    score = serializers.FloatField(help_text="What the list was ranked by; comparable within one list only.")
    predicted_rating = serializers.FloatField(
        allow_null=True, help_text="Stars 0.5 to 5 the person would likely give, when a rating model can say."
    )
    reason = serializers.CharField(help_text='Why it is shown, e.g. "Because you rated Heat 5 stars".')


class RowSerializer(serializers.Serializer):
    """One row of the home page (recommender.rows.Row)."""

    key = serializers.CharField()
    title = serializers.CharField()
    cards = CardSerializer(many=True)


class RecommendationQuerySerializer(LimitQuerySerializer):
    """``?limit=`` and ``?source=``: Top picks made by another switcher choice for this request only."""

    source = serializers.ChoiceField(
        choices=TopPicksSource.choices,
        required=False,
        help_text="Overrides the saved top_picks_source for this request; nothing is saved. "
        + " ".join(f"{value}: {SOURCE_EXPLANATIONS[value]}" for value in TopPicksSource.values),
    )


class SimilarQuerySerializer(LimitQuerySerializer):
    kind = serializers.ChoiceField(
        choices=[COLLABORATIVE, CONTENT],
        default=COLLABORATIVE,
        help_text="collaborative: liked by the same people; content: alike in genres, tags and title.",
    )


class ModelVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "family",
            "number",
            "algorithms",
            "status",
            "params",
            "metrics",
            "row_metrics",
            "n_ratings",
            "n_users",
            "n_items",
            "fit_seconds",
            "eval_seconds",
            "error",
            "created",
            "started",
            "finished",
            "activated",
        ]


class ModelVersionQuerySerializer(serializers.Serializer):
    family = serializers.ChoiceField(choices=list(FAMILIES), required=False)
    status = serializers.ChoiceField(choices=ModelVersion.Status.choices, required=False)


class RetrainSerializer(serializers.Serializer):
    families = serializers.ListField(
        child=serializers.ChoiceField(choices=list(FAMILIES)),
        required=False,
        min_length=1,
        help_text="Families to retrain; all of them when left out.",
    )


class RetrainQueuedSerializer(serializers.Serializer):
    queued = serializers.DictField(
        child=serializers.BooleanField(),
        help_text="Per family: true when the run was sent to the training queue, false when the queue could not be "
        "reached (retry later).",
    )
