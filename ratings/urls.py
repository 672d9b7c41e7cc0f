from django.urls import path, re_path

from ratings import views

app_name = "ratings"

urlpatterns = [
    path("rate/", views.rate, name="rate"),
    path("unrate/", views.unrate, name="unrate"),
    path("feedback/add/", views.feedback_add, name="feedback_add"),
    path("feedback/remove/", views.feedback_remove, name="feedback_remove"),
    path("ratings/", views.my_ratings, name="my_ratings"),
    re_path(r"^ratings/export\.(?P<fmt>csv|json)$", views.export, name="export"),
    path("ratings/delete/", views.delete_data, name="delete_data"),
    path("lists/", views.lists, name="lists"),
    path("ratings/import/", views.history_import, name="history_import"),
    path("preferences/", views.preferences, name="preferences"),
    path("welcome/", views.welcome, name="welcome"),
    path("welcome/rate/", views.welcome_rate, name="welcome_rate"),
    path("welcome/progress/", views.welcome_progress, name="welcome_progress"),
    path("welcome/done/", views.welcome_done, name="welcome_done"),
]
