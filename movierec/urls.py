from django.contrib import admin
from django.urls import include, path

from catalog.views import insights_page
from movierec import views
from recommender.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("movies/", include("catalog.urls")),
    path("me/", include("ratings.urls")),
    path("recommendations/", include("recommender.urls")),
    path("insights/", insights_page, name="insights"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
]
