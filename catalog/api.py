"""Catalog API: browse, search and read movies and genres; staff create and edit movies."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import selectors, services
from catalog.models import Genre, Movie
from catalog.serializers import GenreSerializer, MovieQuerySerializer, MovieSerializer, MovieWriteSerializer
from movierec.api.conditional import ConditionalGetMixin
from movierec.permissions import StaffModelPermissions


@extend_schema_view(
    list=extend_schema(summary="Browse and search movies", parameters=[MovieQuerySerializer]),
    retrieve=extend_schema(summary="One movie"),
    create=extend_schema(summary="Add a movie (staff)", request=MovieWriteSerializer, responses={201: MovieSerializer}),
    partial_update=extend_schema(summary="Edit a movie (staff)", request=MovieWriteSerializer),
)
class MovieViewSet(
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MovieSerializer
    queryset = Movie.objects.none()  # for the schema generator and the model permissions; requests use get_queryset

    def get_permissions(self) -> list[permissions.BasePermission]:
        # Anyone may read the catalog; staff with add_movie / change_movie may change it. (Two classes rather
        # than one, so the schema marks the reads as open to anonymous clients.)
        if self.request.method in permissions.SAFE_METHODS:
            return [permissions.AllowAny()]
        return [StaffModelPermissions()]

    def get_queryset(self) -> QuerySet[Movie]:
        if self.action != "list":
            # One movie is found by id even if the viewer hid it from lists: a direct link still opens.
            return selectors.movie_list()
        query = MovieQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.movie_list(user=self.request.user, **query.validated_data)

    def create(self, request: Request) -> Response:
        serializer = MovieWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_create(**serializer.validated_data)
        return Response(self._read(movie), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        movie = self.get_object()
        serializer = MovieWriteSerializer(movie, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_update(movie=movie, **serializer.validated_data)
        return Response(self._read(movie))

    def _read(self, movie: Movie) -> dict:
        # Re-read through the selector so the answer carries the same statistics as a GET.
        return MovieSerializer(selectors.movie_list().get(pk=movie.pk)).data


@extend_schema_view(list=extend_schema(summary="All genres with their movie counts"))
class GenreViewSet(ConditionalGetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.AllowAny]
    serializer_class = GenreSerializer
    queryset = Genre.objects.none()

    def get_queryset(self) -> QuerySet[Genre]:
        return selectors.genre_list()
