from django.urls import path

from recommender import views

app_name = "recommender"

urlpatterns = [
    path("rows/", views.rows, name="rows"),
    path("rows/<slug:key>/", views.row, name="row"),
    path("models/", views.models, name="models"),
    path("groups/", views.taste_groups, name="taste_groups"),
]
