"""The Celery app. Queues: ingest, scoring, media, training (routes in settings)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_review.settings")

app = Celery("jwo_review")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "ingest", "scoring", "media", "training")]
app.autodiscover_tasks()
# The pipeline's sweep lives in the project package, which is not an installed app.
app.conf.imports = ("jwo_review.pipeline",)
