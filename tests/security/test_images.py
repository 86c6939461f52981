"""security/images.clean_image: orientation kept, metadata dropped, modes normalised."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from flask_usercore.security.images import ImageRefused, clean_image

ALL = ("image/png", "image/jpeg", "image/webp")


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_exif_orientation_is_applied_to_the_pixels_then_dropped() -> None:
    image = Image.new("RGB", (60, 40), "white")
    image.paste((255, 0, 0), (0, 0, 10, 40))  # a red stripe on the left
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to view"
    clean = clean_image(encoded(image, "JPEG", exif=exif), mime_types=ALL, min_pixels=1,
                        max_pixels=100)
    assert (clean.width, clean.height) == (40, 60)
    with Image.open(io.BytesIO(clean.data)) as result:
        assert not result.getexif()
        red, green, _ = result.getpixel((20, 2))  # the stripe is now on top
        assert red > 200 and green < 60


@pytest.mark.parametrize("mode", ["P", "1", "CMYK", "I;16", "LA"])
def test_unusual_modes_become_plain_images(mode: str) -> None:
    image = Image.new(mode, (40, 40))
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    clean = clean_image(encoded(image, fmt), mime_types=ALL, min_pixels=1, max_pixels=100)
    with Image.open(io.BytesIO(clean.data)) as result:
        assert result.mode in ("RGB", "RGBA", "L", "LA")


def test_png_text_chunks_and_icc_profiles_are_dropped() -> None:
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location: 52.5N 13.4E")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(Image.new("RGB", (40, 40)), "PNG", pnginfo=info, icc_profile=icc)
    clean = clean_image(data, mime_types=ALL, min_pixels=1, max_pixels=100)
    assert b"secret location" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as result:
        assert "icc_profile" not in result.info and not result.text  # type: ignore[attr-defined]


def test_only_the_allowed_types_are_opened() -> None:
    webp = encoded(Image.new("RGB", (40, 40)), "WEBP")
    with pytest.raises(ImageRefused) as refused:
        clean_image(webp, mime_types=("image/png",), min_pixels=1, max_pixels=100)
    assert refused.value.kind == "mimeType"
    assert clean_image(webp, mime_types=("image/webp",), min_pixels=1,
                       max_pixels=100).mime_type == "image/webp"
