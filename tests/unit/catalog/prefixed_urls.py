"""The site under a path prefix, for tests of URLs that must follow the URL configuration."""

from django.urls import include, path

urlpatterns = [path("prefixed/", include("movierec.urls"))]
