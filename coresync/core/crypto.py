"""Secrets at rest: OAuth tokens of QuickBooks and Google are stored encrypted with Fernet
(AES-128-CBC + HMAC-SHA256, :mod:`cryptography.fernet`).

The key is ``INTEGRATION_TOKEN_KEY`` (or the file named by ``INTEGRATION_TOKEN_KEY_FILE``): a
url-safe base64 string of 32 bytes (``Fernet.generate_key()``). Several keys separated by
commas rotate: the first encrypts, every one decrypts. Without one (development, tests), a
key is derived from ``SECRET_KEY`` so the demo works alone.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class TokenDecryptionError(Exception):
    """A stored token cannot be read with the configured keys (the key changed)."""


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.INTEGRATION_TOKEN_KEY.split(",") if key.strip()]
    if not keys:
        digest = hashlib.sha256(f"coresync-tokens:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(plain: str) -> str:
    """Return ``plain`` encrypted (a Fernet token, ASCII); ``""`` stays ``""``."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plain text of a value written by :func:`encrypt`.

    Raises:
        TokenDecryptionError: no configured key opens it.
    """
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise TokenDecryptionError("The stored token cannot be decrypted.") from error
