from django.urls import path

from recommender import views

app_name = "recommender"

urlpatterns = [
    path("rows/", views.rows, name="rows"),
    path("rows/<slug:key>/", views.row, name="row"),
    path("models/", views.models, name="models"),
    path("groups/", views.taste_groups, name="taste_groups"),
    path("experiments/<int:experiment_id>/", views.experiment, name="experiment"),
    path("inspect/", views.inspector, name="inspector"),
    path("inspect/people/<int:user_id>/", views.inspect_person, name="inspect_person"),
    path("inspect/movies/<int:movie_id>/", views.inspect_movie, name="inspect_movie"),
]
