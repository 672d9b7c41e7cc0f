"""Trained model versions and the per-family training state (the durable "changes since last training" counter)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ModelVersion(models.Model):
    """One training run of one family: what it learned from, how it scored, and where its files are."""

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        ACTIVE = "active", "Active"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        RETIRED = "retired", "Retired"

    family = models.CharField(max_length=32)
    number = models.PositiveIntegerField(
        editable=False, help_text="The version's number within its family: collaborative v1, v2, ...; content v1, ..."
    )
    algorithms = models.JSONField(default=list, help_text="Algorithm names trained together, in order.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRAINING)
    params = models.JSONField(default=dict, blank=True, help_text="Hyper-parameters per algorithm.")
    n_ratings = models.PositiveIntegerField(default=0)
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    last_rating_id = models.BigIntegerField(null=True, blank=True, help_text="Newest rating id in the training data.")
    last_rated_at = models.DateTimeField(null=True, blank=True, help_text="Newest rating time in the training data.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Holdout metrics per algorithm.")
    row_metrics = models.JSONField(
        default=dict, blank=True, help_text="The home page's rows replayed on the holdout: figures per row kind."
    )
    fit_seconds = models.FloatField(null=True, blank=True)
    eval_seconds = models.FloatField(null=True, blank=True)
    artifact_path = models.CharField(max_length=500, blank=True, help_text="Relative to MODEL_DIR.")
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 over the artifact's files.")
    error = models.TextField(blank=True, help_text="Why the run failed or was rejected.")
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    activated = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        permissions = [
            ("retrain_models", "Can retrain recommender models"),
            ("activate_modelversion", "Can activate a model version or roll a family back"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["family"], condition=models.Q(status="active"), name="recommender_one_active_per_family"
            ),
            models.UniqueConstraint(fields=["family", "number"], name="recommender_version_number_per_family"),
            models.CheckConstraint(
                condition=models.Q(status__in=["training", "ready", "active", "rejected", "failed", "retired"]),
                name="recommender_modelversion_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["family", "status", "-activated"], name="recommender_family_status")]

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        # One trainer per family at a time (the TrainingState claim), so the next number is free; the unique
        # constraint is the backstop if two ever raced.
        if self.number is None:
            newest = ModelVersion.objects.filter(family=self.family).aggregate(models.Max("number"))["number__max"]
            self.number = (newest or 0) + 1
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        """How people name it: the family and its number there ("collaborative v3")."""
        return f"{self.family} v{self.number}"


class TrainingState(models.Model):
    """One row per family: how many changes arrived since its last training, and who trains it now.

    ``pending_changes`` is bumped with F() after every committed rating, so it
    survives a broker outage; ``queued_at`` says a run is already on its way (the
    debounce); ``claimed_at``/``claimed_by`` is the claim a worker takes with a
    conditional UPDATE so two workers never train one family at once.
    """

    family = models.CharField(max_length=32, unique=True)
    pending_changes = models.PositiveBigIntegerField(default=0)
    last_change_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    forced_at = models.DateTimeField(
        null=True, blank=True, help_text="A forced run (admin, API, CLI) was enqueued then and has not started yet."
    )
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    backoff_until = models.DateTimeField(
        null=True, blank=True, help_text="After a failed run, automatic retries wait until then."
    )

    class Meta:
        ordering = ["family"]

    def __str__(self) -> str:
        return f"{self.family}: {self.pending_changes} pending"


class Inspection(models.Model):
    """One staff visit to the recommendation inspector: who looked at which person's or movie's recommendations.

    Reading the inspector changes nothing the person sees; this log is what it leaves behind.
    """

    class Subject(models.TextChoices):
        PERSON = "person", "Person"
        MOVIE = "movie", "Movie"

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inspections")
    subject = models.CharField(max_length=8, choices=Subject.choices)
    subject_id = models.PositiveBigIntegerField(help_text="The person's user id or the movie's id.")
    subject_label = models.CharField(max_length=300, help_text="Their username or the movie's title, at the time.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        permissions = [("inspect_recommendations", "Can inspect any person's or movie's recommendations")]
        indexes = [models.Index(fields=["subject", "subject_id", "-created"], name="recommender_inspection_subject")]

    def __str__(self) -> str:
        return f"{self.staff} inspected {self.subject} {self.subject_label}"
