"""Photos are decoded, limited, re-encoded without metadata, and stored."""

import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from retour.portal.photos import PhotoError, check_and_store
from tests.portal.helpers import image_bytes


def _upload(data: bytes, name="p.jpg"):
    return SimpleUploadedFile(name, data, "image/jpeg")


def test_the_location_is_stripped_from_a_stored_photo():
    original = image_bytes(exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)

    stored = check_and_store([_upload(original)], store_slug="s")

    with storages["default"].open(stored[0].name) as saved:
        image = Image.open(saved)
        assert not image.getexif()
        assert image.format == "JPEG"


def test_a_png_with_transparency_stays_a_png():
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, format="PNG")

    stored = check_and_store([_upload(out.getvalue(), "a.png")], store_slug="s")

    assert stored[0].name.endswith(".png")


def test_a_decompression_bomb_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 Mpx in a few kB

    with pytest.raises(PhotoError, match="too many pixels"):
        check_and_store([_upload(out.getvalue(), "bomb.png")], store_slug="s")


def test_a_truncated_image_is_refused():
    with pytest.raises(PhotoError, match="not an image"):
        check_and_store([_upload(image_bytes()[:200])], store_slug="s")


def test_at_most_five_photos_per_line():
    with pytest.raises(PhotoError, match="At most 5"):
        check_and_store([_upload(image_bytes()) for _ in range(6)], store_slug="s")
