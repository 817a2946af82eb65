"""What we keep of each team's Label Studio: the connection, its projects and tasks, the
Label Studio users whose labels enter consensus, the annotations pulled, and each sync.

Tasks and annotations are keyed by Label Studio's ids, so pushing or pulling again finds
what it did before instead of doing it twice.
"""

from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from annotation.labelstudio.secrets import secret_decrypt, secret_encrypt


def http_url(value: str) -> bool:
    """An http(s) URL with a host; hosts without a dot (an internal name) are fine."""
    parsed = urlparse(value or "")
    return parsed.scheme in ("http", "https") and bool(parsed.hostname)


def validate_http_url(value: str) -> None:
    if not http_url(value):
        raise ValidationError("An http(s) URL, e.g. http://127.0.0.1:8080")


def _all_sources() -> list[str]:
    return ["flagged", "corrected", "hard_case", "random", "gold"]


class Connection(models.Model):
    """One team's Label Studio server. The token is stored encrypted with a key derived
    from the project's SECRET_KEY and is never shown or logged; set it with ``token``."""

    name = models.SlugField(max_length=50, unique=True, help_text="Short name; Label Studio users become name.email.")
    url = models.CharField(
        max_length=200,
        validators=[validate_http_url],
        help_text="The Label Studio server, e.g. https://labelstudio.example.com",
    )
    token_encrypted = models.TextField(editable=False, help_text="The API token, encrypted.")
    public_url = models.CharField(
        max_length=200,
        validators=[validate_http_url],
        help_text="Where Label Studio's users reach this product (the base of the signed media links).",
    )
    stores = models.ManyToManyField("store.Store", related_name="+", help_text="Stores whose tasks go there.")
    sources = models.JSONField(default=_all_sources, help_text="Annotation task sources sent there.")
    media_link_hours = models.PositiveIntegerField(
        default=48,
        validators=[MinValueValidator(2), MaxValueValidator(24 * 14)],
        help_text="How long a signed media link in a task stays valid; sync renews links before they expire.",
    )
    enabled = models.BooleanField(default=True)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="labelstudio_connection",
        help_text="The account media links act for (it cannot sign in).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Label Studio connection"

    def __str__(self) -> str:
        return f"Label Studio {self.name}"

    def __repr__(self) -> str:
        return f"<Connection {self.name} {self.url}>"  # never the token

    @property
    def token(self) -> str:
        return secret_decrypt(self.token_encrypted)

    @token.setter
    def token(self, value: str) -> None:
        self.token_encrypted = secret_encrypt(value)


class Project(models.Model):
    """The Label Studio project of one store on one connection."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="projects")
    store = models.ForeignKey("store.Store", on_delete=models.CASCADE, related_name="+")
    ls_project_id = models.PositiveIntegerField()
    config_hash = models.CharField(max_length=64, help_text="Of the labelling config last sent.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "store"], name="one_ls_project_per_store")]

    def __str__(self) -> str:
        return f"{self.connection.name}: {self.store_id} -> project {self.ls_project_id}"


class LinkedTask(models.Model):
    """One of our annotation tasks as a task in Label Studio. While it is linked, its
    slots are labelled there, not handed out in our workspace."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="tasks")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    task = models.ForeignKey("annotation.AnnotationTask", on_delete=models.CASCADE, related_name="labelstudio_links")
    ls_task_id = models.PositiveIntegerField()
    data_hash = models.CharField(max_length=64, help_text="Of the data and prediction last sent.")
    links_expire_at = models.DateTimeField(help_text="When the media links last sent stop working.")
    pushed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "task"], name="one_ls_task_per_task"),
            models.UniqueConstraint(fields=["connection", "ls_task_id"], name="one_task_per_ls_task"),
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} -> {self.connection.name} task {self.ls_task_id}"


class RemoteUser(models.Model):
    """A Label Studio user, and the account of ours their labels are recorded under."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="users")
    ls_user_id = models.PositiveIntegerField()
    email = models.CharField(max_length=254, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "ls_user_id"], name="one_remote_user")]

    def __str__(self) -> str:
        return f"{self.connection.name}: {self.email or self.ls_user_id}"


class PulledStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"


class PulledAnnotation(models.Model):
    """A Label Studio annotation as last pulled: applied as a label, or rejected with the reason."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="annotations")
    linked_task = models.ForeignKey(LinkedTask, on_delete=models.CASCADE, related_name="annotations")
    remote_user = models.ForeignKey(RemoteUser, on_delete=models.PROTECT, null=True, related_name="annotations")
    ls_annotation_id = models.PositiveIntegerField()
    ls_updated_at = models.CharField(max_length=40, help_text="Label Studio's update time, as it sent it.")
    status = models.CharField(max_length=8, choices=PulledStatus.choices)
    label = models.ForeignKey("annotation.Label", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    errors = models.JSONField(default=dict, blank=True, help_text="Why it was not applied, per field.")
    pulled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "ls_annotation_id"], name="one_pulled_annotation"),
        ]

    def __str__(self) -> str:
        return f"{self.connection.name} annotation {self.ls_annotation_id} ({self.status})"


class SyncStatus(models.TextChoices):
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    PARTIAL = "partial", "Done with rejected items"
    FAILED = "failed", "Failed"


class SyncRun(models.Model):
    """One push-and-pull of a connection: when, what it changed, what it could not do."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="syncs")
    trigger = models.CharField(max_length=16, default="command", help_text="beat, command or admin.")
    status = models.CharField(max_length=8, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="[{where, message}] of what was not applied.")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connection", "-started_at"])]

    def __str__(self) -> str:
        return f"sync {self.pk} of {self.connection.name} ({self.status})"
