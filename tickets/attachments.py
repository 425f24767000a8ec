"""Checks for uploaded files: size, a safe file name, and a content type that matches the bytes."""
from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

# What customers and mail clients send to a helpdesk: documents, images, logs, archives.
ALLOWED_TYPES = {
    "application/pdf", "text/plain", "text/csv", "text/xml", "application/xml", "application/json",
    "image/png", "image/jpeg", "image/gif", "image/webp",
    "application/zip", "application/x-7z-compressed", "application/gzip",
    "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "message/rfc822",
}
EXTRA_EXTENSIONS = {".log": "text/plain", ".7z": "application/x-7z-compressed", ".eml": "message/rfc822"}

# Leading bytes of binary formats; a file claiming one of these types must start with them.
SIGNATURES = {
    "application/pdf": [b"%PDF-"],
    "image/png": [b"\x89PNG\r\n\x1a\n"],
    "image/jpeg": [b"\xff\xd8\xff"],
    "image/gif": [b"GIF87a", b"GIF89a"],
    "image/webp": [b"RIFF"],
    "application/zip": [b"PK\x03\x04", b"PK\x05\x06"],
    "application/gzip": [b"\x1f\x8b"],
    "application/x-7z-compressed": [b"7z\xbc\xaf\x27\x1c"],
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [b"PK\x03\x04"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [b"PK\x03\x04"],
    "application/vnd.oasis.opendocument.text": [b"PK\x03\x04"],
    "application/vnd.oasis.opendocument.spreadsheet": [b"PK\x03\x04"],
    "application/msword": [b"\xd0\xcf\x11\xe0"],
    "application/vnd.ms-excel": [b"\xd0\xcf\x11\xe0"],
}
TEXT_TYPES = {"text/plain", "text/csv", "text/xml", "application/xml", "application/json", "message/rfc822"}


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    content: bytes


def safe_filename(name: str) -> str:
    """A file name without paths, control characters or shell-hostile characters; Polish letters kept."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").split("/")[-1])
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*;`$]", "", name).strip().strip(".")
    name = re.sub(r"\s+", " ", name)
    if not name:
        name = "plik"
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return f"{stem[:150]}.{ext}"
    return name[:160]


def attachment_check(filename: str, content: bytes) -> CheckedFile:
    name = safe_filename(filename)
    if len(content) > MAX_BYTES:
        raise ValidationError(_("“%(name)s” is too large: %(size)s MB, the limit is %(limit)s MB.") % {
            "name": name, "size": round(len(content) / 1048576, 1), "limit": MAX_BYTES // 1048576})
    if not content:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name})
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = EXTRA_EXTENSIONS.get(extension) or mimetypes.guess_type(name)[0] or ""
    if content_type not in ALLOWED_TYPES:
        raise ValidationError(_("“%(name)s”: this type of file is not accepted. Send PDF, images, office "
                                "documents, text, logs or ZIP archives.") % {"name": name})
    signatures = SIGNATURES.get(content_type)
    if signatures and not any(content.startswith(sig) for sig in signatures):
        raise ValidationError(_("“%(name)s” does not contain what its name says (%(type)s).") % {
            "name": name, "type": content_type})
    if content_type in TEXT_TYPES and b"\x00" in content[:4096]:
        raise ValidationError(_("“%(name)s” is not a text file.") % {"name": name})
    return CheckedFile(filename=name, content_type=content_type, content=content)
