"""Signals the importer sends, so other apps can react without the catalog importing them."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent after an import has committed, with ``report`` (an ``ImportReport``). A bulk import writes with
#: COPY / raw upserts, so no post_save or rating change listener fires for its rows: a receiver that caches
#: or learns from ratings and movies (the recommender) should treat this as "everything may have changed".
movielens_imported = Signal()
