"""Recommendations API: the home page's rows, top picks and similar movies; staff see and retrain models.

Every answer is computed by recommender.services from the person's current ratings
and feedback, so a rating sent a moment ago already counts, and movies marked
not interested never appear.
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Movie
from movierec.permissions import RETRAIN, StaffModelPermissions, staff_with
from recommender import online, selectors, services, training
from recommender.families import FAMILIES
from recommender.models import ModelVersion
from recommender.serializers import (
    CardSerializer,
    ModelVersionQuerySerializer,
    ModelVersionSerializer,
    RecommendationQuerySerializer,
    RetrainQueuedSerializer,
    RetrainSerializer,
    RowSerializer,
    SimilarQuerySerializer,
)


def _query(serializer_class: type, request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class MyRecommendationsView(APIView):
    @extend_schema(
        summary="My top picks, each with a predicted rating and a reason",
        parameters=[RecommendationQuerySerializer],
        responses={200: CardSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        data = services.recommend_top_rendered(
            user=request.user,
            render=lambda cards: CardSerializer(cards, many=True).data,
            shown=lambda row: online.row_shown(request.user, row),
            **_query(RecommendationQuerySerializer, request),
        )
        return Response(data)


class MyRowsView(APIView):
    @extend_schema(
        summary="My home page rows: the same rows, titles and reasons as the site, no movie twice",
        parameters=[RecommendationQuerySerializer],
        responses={200: RowSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = services.recommend_rows(user=request.user, **_query(RecommendationQuerySerializer, request))
        for row in rows:
            online.row_shown(request.user, row)
        return Response(RowSerializer(rows, many=True).data)


class MyRowView(APIView):
    @extend_schema(
        summary="One row of my home page, de-duplicated against the rows above it",
        parameters=[RecommendationQuerySerializer],
        responses={200: RowSerializer},
    )
    def get(self, request: Request, key: str) -> Response:
        query = _query(RecommendationQuerySerializer, request)
        try:
            row = services.recommend_row(user=request.user, key=key, **query)
        except services.UnknownRowError:
            raise NotFound(f"key: your page has no row {key!r}; GET /api/v1/me/rows/ lists the keys.") from None
        online.row_shown(request.user, row)
        return Response(RowSerializer(row).data)


class SimilarMoviesView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Movies like this one (leaving out what I rated or rejected, when signed in)",
        parameters=[
            OpenApiParameter("movie_id", int, OpenApiParameter.PATH, description="The movie's id."),
            SimilarQuerySerializer,
        ],
        responses={200: CardSerializer(many=True)},
    )
    def get(self, request: Request, movie_id: str) -> Response:
        movie = get_object_or_404(Movie.objects.all(), pk=movie_id)
        cards = services.similar_movies(movie=movie, user=request.user, **_query(SimilarQuerySerializer, request))
        return Response(CardSerializer(cards, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Trained model versions (staff)", parameters=[ModelVersionQuerySerializer])
)
class ModelVersionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [StaffModelPermissions]
    serializer_class = ModelVersionSerializer
    queryset = ModelVersion.objects.none()

    def get_queryset(self) -> QuerySet[ModelVersion]:
        return selectors.model_versions(**_query(ModelVersionQuerySerializer, self.request))


class RetrainView(APIView):
    permission_classes = [staff_with(RETRAIN)]

    @extend_schema(
        summary="Retrain now (staff): skips the debounce and trains even with no new ratings",
        request=RetrainSerializer,
        responses={202: RetrainQueuedSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = RetrainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        families = serializer.validated_data.get("families", list(FAMILIES))
        queued = {family: training.training_request(family=family) for family in families}
        return Response(RetrainQueuedSerializer({"queued": queued}).data, status=status.HTTP_202_ACCEPTED)
