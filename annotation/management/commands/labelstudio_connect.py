"""Connect a team's Label Studio: the token is read from an environment variable, never an argument."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.labelstudio.services import connection_create
from annotation.models import Source
from jwo_review.errors import InvalidInput


class Command(BaseCommand):
    help = "Add a Label Studio connection (checks the token against the server first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Short name, e.g. acme.")
        parser.add_argument("--url", required=True, help="The Label Studio server, e.g. http://127.0.0.1:8080")
        parser.add_argument(
            "--token-env", default="LABEL_STUDIO_TOKEN", help="Environment variable holding the API token."
        )
        parser.add_argument(
            "--public-url", required=True, help="Where Label Studio's users reach this product (media links)."
        )
        parser.add_argument("--store", action="append", required=True, help="A store code (repeat for several).")
        parser.add_argument(
            "--source", action="append", choices=Source.values, help="Task sources to send (default: all)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = os.environ.get(options["token_env"], "")
        if not token:
            raise CommandError(
                f"Set {options['token_env']} to the Label Studio API token (Account & Settings in Label Studio)."
            )
        try:
            connection = connection_create(
                name=options["name"],
                url=options["url"],
                token=token,
                public_url=options["public_url"],
                store_codes=options["store"],
                sources=options["source"] or list(Source.values),
                actor=None,
            )
        except InvalidInput as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}") from None
        self.stdout.write(
            f"Connected {connection.name} ({connection.url}) for stores {', '.join(options['store'])}; "
            "run manage.py labelstudio_sync to send tasks."
        )
