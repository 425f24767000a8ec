"""Secrets at rest (IMAP passwords): Fernet with a key derived from SECRET_KEY.

Rotating SECRET_KEY makes stored passwords unreadable; the poll then reports it on the mailbox and
an admin re-enters the password.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(ValueError):
    pass


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"helpdesk.mailbox-password:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode("ascii")


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("the stored password cannot be decrypted (was SECRET_KEY changed?)") from exc
