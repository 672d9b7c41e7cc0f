"""The /api/v1/ routes. Schema and docs live beside them in movierec.urls, outside the version prefix."""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from catalog.api import GenreViewSet, MovieViewSet
from movierec.accounts.api import (
    DeleteAccountView,
    MeView,
    MyDevicesView,
    MyDeviceView,
    RegisterView,
    TokenRefreshView,
    TokenView,
)
from movierec.api.errors import not_found
from ratings.api import (
    MyDataView,
    MyExportView,
    MyFeedbackViewSet,
    MyHistoryImportView,
    MyHistoryPreviewView,
    MyPreferencesView,
    MyRatingViewSet,
)
from recommender.api import (
    ModelVersionViewSet,
    MyRecommendationsView,
    MyRowsView,
    MyRowView,
    RetrainView,
    SimilarMoviesView,
)

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
router.register("genres", GenreViewSet, basename="genre")
router.register("me/ratings", MyRatingViewSet, basename="my-rating")
router.register("me/feedback", MyFeedbackViewSet, basename="my-feedback")
router.register("models", ModelVersionViewSet, basename="model-version")

app_name = "api"

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="register"),
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("me/", MeView.as_view(), name="me"),
    path("me/delete/", DeleteAccountView.as_view(), name="my-account-delete"),
    path("me/devices/", MyDevicesView.as_view(), name="my-devices"),
    path("me/devices/<str:token_key>/", MyDeviceView.as_view(), name="my-device"),
    path("me/export/", MyExportView.as_view(), name="my-export"),
    path("me/data/", MyDataView.as_view(), name="my-data"),
    path("me/preferences/", MyPreferencesView.as_view(), name="my-preferences"),
    path("me/ratings/import/preview/", MyHistoryPreviewView.as_view(), name="my-ratings-import-preview"),
    path("me/ratings/import/", MyHistoryImportView.as_view(), name="my-ratings-import"),
    path("me/recommendations/", MyRecommendationsView.as_view(), name="my-recommendations"),
    path("me/rows/", MyRowsView.as_view(), name="my-rows"),
    path("me/rows/<str:key>/", MyRowView.as_view(), name="my-row"),
    path("movies/<str:movie_id>/similar/", SimilarMoviesView.as_view(), name="movie-similar"),
    path("models/retrain/", RetrainView.as_view(), name="models-retrain"),
    path("", include(router.urls)),
    re_path(r"^(?P<path>.*)$", not_found),
]
