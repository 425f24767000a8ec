"""Thumbnails of image attachments, made on the server (Pillow) and served with the file's permissions.

Only the four image types the attachment check admits are read. The decoded size is capped (a small
file may claim a huge canvas: a decompression bomb); anything Pillow cannot read is "no preview".
The thumbnail is a PNG at most ``SIZE`` pixels on its longer side; its metadata is not carried over.
"""
from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from tickets.models import Attachment

SIZE = 320
MAX_PIXELS = 40_000_000
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def has_preview(attachment: Attachment) -> bool:
    return attachment.content_type in IMAGE_TYPES


def thumbnail_png(attachment: Attachment) -> bytes | None:
    """The PNG thumbnail of an image attachment, or None (not an image, unreadable, too large)."""
    if not has_preview(attachment):
        return None
    try:
        with attachment.file.open("rb") as handle, Image.open(handle) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return None
            image.thumbnail((SIZE, SIZE))
            converted = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            out = io.BytesIO()
            converted.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
