"""Uploaded images, checked and re-encoded with Pillow before anything stores them.

The type comes from the content (Pillow's format detection, limited to the allowed formats),
never from the declared ``Content-Type`` or file name. The dimensions are read from the header
and checked *before* the pixels are decoded, so a decompression bomb (a small file declaring
a huge canvas) is refused without allocating it. The pixels are then decoded and written
again into a new file of the same format: EXIF (GPS position, camera serial), XMP, ICC and
text chunks are dropped, and so is anything appended to or hidden in the original file (a
polyglot payload). EXIF orientation is applied to the pixels first, so the picture looks
the same.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..messages import N_

if TYPE_CHECKING:  # Pillow is imported by the first upload, not by every worker at start
    from PIL import Image

#: Pillow format name -> (mime type, file extension).
FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"),
           "WEBP": ("image/webp", "webp")}
_JPEG_QUALITY = 90


class ImageRefused(ValueError):
    """The upload is not an acceptable image; ``kind`` is the wire type of the refusal."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True, slots=True)
class CleanImage:
    """A re-encoded image: its bytes, real type and size in pixels."""

    data: bytes
    mime_type: str
    extension: str
    width: int
    height: int


def clean_image(data: bytes, *, mime_types: tuple[str, ...], min_pixels: int,
                max_pixels: int) -> CleanImage:
    """Check ``data`` and return it re-encoded without metadata, or raise
    :class:`ImageRefused`.

    ``mime_types`` are the accepted types; width and height must each lie in
    ``[min_pixels, max_pixels]``.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    allowed = [name for name, (mime, _) in FORMATS.items() if mime in mime_types]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data), formats=allowed)
    except UnidentifiedImageError:
        raise ImageRefused(N_("the file is not an image of an accepted type (%(types)s)",
                              types=", ".join(mime_types)), "mimeType") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(N_("the image declares more pixels than any avatar may have "
                           "(a decompression bomb?)"), "decompressionBomb") from None
    with source:
        width, height = source.size
        if width > max_pixels or height > max_pixels:
            kind = ("decompressionBomb" if width * height > 4 * max_pixels * max_pixels
                    else "imageDimensions")
            raise ImageRefused(N_("the image is %(width)sx%(height)s pixels; at most "
                                  "%(max)sx%(max)s are accepted", width=width, height=height,
                                  max=max_pixels), kind)
        if width < min_pixels or height < min_pixels:
            raise ImageRefused(N_("the image is %(width)sx%(height)s pixels; at least "
                                  "%(min)sx%(min)s are needed", width=width, height=height,
                                  min=min_pixels), "imageDimensions")
        image_format = source.format or ""
        try:
            source.load()
            upright = ImageOps.exif_transpose(source)
        except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data
            raise ImageRefused(N_("the image could not be decoded (%(problem)s)",
                                  problem=type(exc).__name__),
                               "corruptImage") from None
    return _encode(upright, image_format)


def _encode(image: Image.Image, image_format: str) -> CleanImage:
    """Write ``image``'s pixels, and nothing else, into a new file of ``image_format``."""
    from PIL import Image

    mime_type, extension = FORMATS[image_format]
    if image_format == "JPEG":
        pixels = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        pixels = image.convert("RGBA")  # palettes, CMYK, 16-bit: to plain 8-bit RGBA
    else:
        pixels = image
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)  # a new image: no ``info`` (EXIF, ICC, XMP, text) comes along
    out = io.BytesIO()
    options: dict[str, object] = {"quality": _JPEG_QUALITY} if image_format == "JPEG" else {}
    clean.save(out, format=image_format, **options)
    return CleanImage(out.getvalue(), mime_type, extension, clean.width, clean.height)
