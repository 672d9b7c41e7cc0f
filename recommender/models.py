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
    artifact_path = models.CharField(
        max_length=500, blank=True, help_text="Relative to MODEL_DIR, or a name in the artifact store."
    )
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


class Experiment(models.Model):
    """An online test of two Top picks models (two versions of the blend family) on real people.

    ``split``: each person sees one arm's Top picks, chosen by a hash (``recommender.experiments.arm_for``).
    ``interleave``: everyone's Top picks interleave both arms' rankings (team draft) and each card credits its arm.
    One experiment runs at a time; stopping it returns everyone to the active model.
    """

    class Kind(models.TextChoices):
        SPLIT = "split", "Split people between the arms"
        INTERLEAVE = "interleave", "Interleave both arms in Top picks"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SPLIT)
    arm_a = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="+", help_text="Arm a: a blend version (often the active)."
    )
    arm_b = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="+", help_text="Arm b: the challenger."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started = models.DateTimeField(auto_now_add=True)
    stopped = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="running"), name="recommender_one_running_experiment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.arm_a.label} vs {self.arm_b.label}, {self.get_kind_display().lower()})"


class Impression(models.Model):
    """One card shown to one person: which movie, in which row and place, made by which model version (and, during
    an experiment, which arm). Written in batches off the request path (``recommender.online``)."""

    key = models.UUIDField(unique=True, help_text="Set when the card is shown: a batch written twice is kept once.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    movie_id = models.BigIntegerField(help_text="The movie's id (no foreign key: logging never waits on the catalog).")
    row = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(help_text="1 for the row's first card.")
    version = models.ForeignKey(ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, null=True, blank=True, related_name="impressions"
    )
    arm = models.CharField(max_length=1, blank=True, help_text="a or b: the arm that put the card there.")
    shown = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "movie_id", "-shown"], name="recommender_impression_seen"),
            models.Index(fields=["experiment", "arm"], name="recommender_impression_arm"),
        ]

    def __str__(self) -> str:
        return f"movie {self.movie_id} to user {self.user_id} in {self.row} #{self.position}"


class Interaction(models.Model):
    """A rating, watchlist add or hide that followed an impression of the same movie to the same person."""

    class Kind(models.TextChoices):
        RATING = "rating", "Rated"
        WATCHLIST = "watchlist", "Added to the watchlist"
        HIDE = "hide", "Hid (not interested or not now)"

    impression = models.ForeignKey(Impression, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["impression", "kind"], name="recommender_one_interaction_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} after {self.impression}"
