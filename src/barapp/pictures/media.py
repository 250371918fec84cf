"""The pictures on disk: checked to be images, kept under content-derived names as WebP (the
full picture and a small card thumbnail), and served only by names that cannot leave
MEDIA_DIR."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

THUMB_WIDTH = 480
THUMB_MAX_BYTES = 60_000
MAX_INPUT_BYTES = 30_000_000
MAX_SIDE = 4096
# What an image service may send. Anything else (an HTML error page, a truncated file, an SVG
# that could carry script) is refused before it is kept.
ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}
# Names on disk: ours are "<sha256 prefix>.webp" and "<prefix>-480.webp"; an imported menu may
# name its own files, within this alphabet. No separators, no leading dot: no way out.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
MEDIA_TYPES = {".webp": "image/webp", ".png": "image/png", ".jpg": "image/jpeg"}
MEDIA_TYPES[".jpeg"] = "image/jpeg"


class NotAnImage(ValueError):
    """The bytes are not a picture we keep; the message says why (for the bartender)."""


@dataclass(frozen=True)
class Stored:
    file: str
    thumb: str
    width: int
    height: int


def store(media_dir: Path, data: bytes) -> Stored:
    """Check `data` and keep it as `<hash>.webp` plus a `<hash>-480.webp` thumbnail.
    CPU-bound (decode + two encodes, ~0.2 s for SDXL's size): call it from a thread."""
    image = _open_checked(data)
    name = hashlib.sha256(data).hexdigest()[:32]
    stored = Stored(f"{name}.webp", thumb_name(f"{name}.webp"), image.width, image.height)
    media_dir.mkdir(parents=True, exist_ok=True)
    if not (media_dir / stored.file).exists():
        _write(media_dir / stored.file, _webp(image, quality=86))
    if not (media_dir / stored.thumb).exists():
        _write(media_dir / stored.thumb, _thumbnail(image))
    return stored


def thumb_name(file: str) -> str:
    """The card-size version of a stored picture (an imported file serves as its own)."""
    stem, dot, ext = file.rpartition(".")
    if dot and ext == "webp" and re.fullmatch(r"[0-9a-f]{32}", stem):
        return f"{stem}-{THUMB_WIDTH}.webp"
    return file


def safe_path(media_dir: Path, name: str) -> Path | None:
    """The file a request names, or None when the name is not one we could have written, or
    when what bears it is not a plain file: barapp only ever writes files there, so a link (to
    /etc/passwd, the database, or even one of our pictures) or a folder is none of ours."""
    if not SAFE_NAME.match(name) or ".." in name:
        return None
    if Path(name).suffix.lower() not in MEDIA_TYPES:
        return None
    path = media_dir / name
    try:
        mode = path.lstat().st_mode  # lstat: the link itself, not where it points
    except OSError:
        return None
    return path if stat.S_ISREG(mode) else None


def media_type(path: Path) -> str:
    return MEDIA_TYPES[path.suffix.lower()]


def _open_checked(data: bytes) -> Image.Image:
    if len(data) > MAX_INPUT_BYTES:
        raise NotAnImage(f"too large ({len(data)} bytes)")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()  # structure and checksums, without decoding the pixels
        if kind not in ACCEPTED_FORMATS:
            raise NotAnImage(f"not a PNG, JPEG or WebP picture ({kind})")
        image = Image.open(io.BytesIO(data))
        if max(image.size) > MAX_SIDE:
            raise NotAnImage(f"too large ({image.width}x{image.height})")
        image.load()  # a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise NotAnImage(f"not a readable picture: {exc}") from None
    return image.convert("RGB")


def _webp(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    height = round(image.height * THUMB_WIDTH / image.width)
    small = image.resize((THUMB_WIDTH, height), Image.Resampling.LANCZOS)
    # A busy photo can exceed the budget at the usual quality: step down until it fits.
    for quality in (80, 70, 60, 50, 40):
        data = _webp(small, quality)
        if len(data) <= THUMB_MAX_BYTES:
            return data
    return data


def _write(path: Path, data: bytes) -> None:
    # Written aside then renamed: a reader never sees half a file, and a crash leaves none.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
