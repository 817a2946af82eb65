"""Secrets we must use again (a Label Studio token), encrypted at rest.

The key is derived from SECRET_KEY, so a database dump alone does not reveal a token;
rotating SECRET_KEY means entering the tokens again (``secret_decrypt`` then says so).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_CONTEXT = b"jwo_review.labelstudio.token"


def _fernet() -> Fernet:
    digest = hashlib.sha256(_CONTEXT + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def secret_decrypt(value: str) -> str:
    """The plain secret. Raises ImproperlyConfigured when it cannot be read (SECRET_KEY
    changed since it was stored): enter the token again."""
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored Label Studio token cannot be decrypted (SECRET_KEY changed?); enter the token again."
        ) from exc
