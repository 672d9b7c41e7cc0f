from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("<int:pk>/", views.movie_detail, name="movie_detail"),
]
