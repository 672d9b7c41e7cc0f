"""How API lists are cut: pages for stored lists, ``limit`` for ranked lists computed per request.

Kept free of drf-spectacular imports: DRF imports the pagination class while its own modules load.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

#: Upper bound for ``page_size`` and for the ``limit`` of computed lists (recommendations, similar movies).
MAX_PAGE_SIZE = 100


class Pagination(PageNumberPagination):
    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class LimitQuerySerializer(serializers.Serializer):
    """``?limit=N`` for ranked lists computed per request: a second page of a list re-ranked after every
    rating would repeat or skip movies, so these are bounded instead of paged."""

    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)
