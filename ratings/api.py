"""Ratings, feedback and personal data API: each person reads and writes only their own.

Another person's ids answer 404, never 403, so ids reveal nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Movie
from movierec.accounts.selectors import account_export
from ratings import history_import, selectors, services
from ratings.models import Feedback, Rating
from ratings.serializers import (
    DataDeletedSerializer,
    ExportSerializer,
    FeedbackQuerySerializer,
    FeedbackSerializer,
    FeedbackWriteSerializer,
    ImportDoneSerializer,
    ImportPreviewSerializer,
    ImportRequestSerializer,
    ImportUploadSerializer,
    PreferencesSerializer,
    RatingQuerySerializer,
    RatingSerializer,
    RatingWriteSerializer,
)

MOVIE_ID = OpenApiParameter("movie_id", int, OpenApiParameter.PATH, description="The movie's id.")


def _movie_or_404(movie_id: str) -> Movie:
    try:
        return get_object_or_404(Movie.objects.prefetch_related("genres"), pk=movie_id)
    except Http404 as error:
        raise NotFound(f"movie_id: no movie with id {movie_id}.") from error


@extend_schema_view(
    list=extend_schema(summary="My ratings", parameters=[RatingQuerySerializer]),
    retrieve=extend_schema(summary="My rating of one movie", parameters=[MOVIE_ID]),
    update=extend_schema(
        summary="Rate a movie (create or change)",
        parameters=[MOVIE_ID],
        request=RatingWriteSerializer,
        responses={200: RatingSerializer},
    ),
    destroy=extend_schema(summary="Remove my rating of a movie", parameters=[MOVIE_ID], responses={204: None}),
)
class MyRatingViewSet(viewsets.GenericViewSet):
    serializer_class = RatingSerializer
    queryset = Rating.objects.none()
    lookup_url_kwarg = "movie_id"

    def get_queryset(self) -> QuerySet[Rating]:
        query = RatingQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.user_ratings(user=self.request.user, **query.validated_data)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RatingSerializer(page, many=True).data)

    def retrieve(self, request: Request, movie_id: str) -> Response:
        rating = get_object_or_404(selectors.user_ratings(user=request.user), movie=_movie_or_404(movie_id))
        return Response(RatingSerializer(rating).data)

    def update(self, request: Request, movie_id: str) -> Response:
        movie = _movie_or_404(movie_id)
        serializer = RatingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = services.rating_upsert(user=request.user, movie=movie, **serializer.validated_data)
        return Response(RatingSerializer(rating).data)

    def destroy(self, request: Request, movie_id: str) -> Response:
        if not services.rating_delete(user=request.user, movie=_movie_or_404(movie_id)):
            raise NotFound(f"movie_id: you have not rated movie {movie_id}.")
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="My feedback", parameters=[FeedbackQuerySerializer]),
    create=extend_schema(
        summary="Give feedback on a movie (not interested, watchlist, seen, more or less like this)",
        request=FeedbackWriteSerializer,
        responses={201: FeedbackSerializer},
    ),
    destroy=extend_schema(summary="Take feedback back", responses={204: None}),
)
class MyFeedbackViewSet(viewsets.GenericViewSet):
    serializer_class = FeedbackSerializer
    queryset = Feedback.objects.none()

    def get_queryset(self) -> QuerySet[Feedback]:
        if self.action != "list":
            return selectors.user_feedback(user=self.request.user)
        query = FeedbackQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.user_feedback(user=self.request.user, **query.validated_data)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FeedbackSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        serializer = FeedbackWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feedback = services.feedback_add(user=request.user, **serializer.validated_data)
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        feedback = self.get_object()
        services.feedback_remove(user=request.user, movie=feedback.movie, kind=feedback.kind)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyExportView(APIView):
    @extend_schema(summary="Download everything I have told MovieRec", responses={200: ExportSerializer})
    def get(self, request: Request) -> Response:
        return Response(account_export(user=request.user))


class MyDataView(APIView):
    @extend_schema(
        summary="Delete all my ratings and feedback (the account stays)",
        responses={200: OpenApiResponse(DataDeletedSerializer, description="How much was deleted.")},
    )
    def delete(self, request: Request) -> Response:
        ratings, feedback = services.user_data_delete(user=request.user)
        return Response(DataDeletedSerializer({"ratings_deleted": ratings, "feedback_deleted": feedback}).data)


class MyPreferencesView(APIView):
    """How my Top picks are made: GET them, PUT all of them, PATCH some, DELETE to reset to the defaults."""

    @extend_schema(summary="My recommender switcher and taste dials", responses={200: PreferencesSerializer})
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(selectors.preferences_values(user=request.user)).data)

    @extend_schema(
        summary="Set all my Top picks controls", request=PreferencesSerializer, responses=PreferencesSerializer
    )
    def put(self, request: Request) -> Response:
        return self._save(request, partial=False)

    @extend_schema(
        summary="Set some of my Top picks controls", request=PreferencesSerializer, responses=PreferencesSerializer
    )
    def patch(self, request: Request) -> Response:
        return self._save(request, partial=True)

    @extend_schema(summary="Reset my Top picks controls to the defaults", responses={200: PreferencesSerializer})
    def delete(self, request: Request) -> Response:
        services.preferences_reset(user=request.user)
        return Response(PreferencesSerializer(selectors.preferences_values(user=request.user)).data)

    def _save(self, request: Request, *, partial: bool) -> Response:
        serializer = PreferencesSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.preferences_set(user=request.user, **serializer.validated_data)
        return Response(PreferencesSerializer(selectors.preferences_values(user=request.user)).data)


class MyHistoryPreviewView(APIView):
    """Step 1 of bringing my ratings from Letterboxd or IMDb: every match, nothing written."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Preview importing a Letterboxd or IMDb ratings export (writes nothing)",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            200: ImportPreviewSerializer,
            413: OpenApiResponse(description="The upload is larger than the API's body limit."),
            415: OpenApiResponse(description="Not a multipart/form-data upload."),
        },
    )
    def post(self, request: Request) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            source, rows = history_import.read_export(upload.validated_data["export"].read())
        except history_import.ImportFileError as error:
            raise ValidationError({"export": [str(error)]}) from None
        matches = history_import.match(source, rows)
        found = [{**vars(row), "movie": movie} for row, movie in matches.found]
        ambiguous = [{**vars(row), "candidates": movies} for row, movies in matches.ambiguous]
        unmatched = [vars(row) for row in matches.unmatched]
        plan = history_import.plan_sign(matches)
        preview = {"source": source, "found": found, "ambiguous": ambiguous, "unmatched": unmatched, "plan": plan}
        return Response(ImportPreviewSerializer(preview).data)


class MyHistoryImportView(APIView):
    """Step 2: import the previewed plan, with a pick for each ambiguous line to include, in one transaction."""

    @extend_schema(
        summary="Import a previewed Letterboxd or IMDb export", request=ImportRequestSerializer,
        responses={200: ImportDoneSerializer},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        body = ImportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = history_import.plan_read(body.validated_data["plan"])
        except history_import.ImportFileError as error:
            raise ValidationError({"plan": [str(error)]}) from None
        picks = {str(line): movie for line, movie in body.validated_data["picks"].items()}
        try:
            scores = history_import.resolve(plan, picks)
        except history_import.ImportFileError as error:
            raise ValidationError({"picks": [str(error)]}) from None
        added, kept = services.ratings_import(user=request.user, scores=scores)
        return Response(ImportDoneSerializer({"added": added, "kept": kept}).data)
