from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.browse, name="browse"),
    path("similar/", views.similar_finder, name="similar_finder"),
    path("<int:pk>/", views.movie_detail, name="movie_detail"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
]
