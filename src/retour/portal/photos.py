"""Shoppers' photos: checked by decoding them, re-encoded without metadata, then stored.

An upload is accepted only if Pillow decodes it completely as one of a few image formats; its
declared name and content type are ignored. It is re-encoded from its pixels (JPEG, or PNG when it
has transparency), so EXIF — GPS position, camera serial — and anything hidden after the image
data are dropped. Dimensions are checked from the header *before* decoding, so a small file that
expands to gigapixels (a decompression bomb) is refused without allocating its pixels.
"""

import io
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_LINE = 5
MAX_PIXELS = 40_000_000  # 40 megapixels: any phone camera, well short of a bomb
MAX_SIDE = 2560  # stored images are scaled down to this: enough to see a defect
FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})


class PhotoError(ValueError):
    """Why an upload was refused, in the shopper's language."""


@dataclass(frozen=True)
class StoredPhoto:
    name: str
    width: int
    height: int


def _decode(upload: UploadedFile) -> Image.Image:
    name = upload.name or ""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise PhotoError(_("“%(name)s” is larger than 10 MB.") % {"name": name})
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoError(_("“%(name)s” is larger than 10 MB.") % {"name": name})
    not_image = PhotoError(_("“%(name)s” is not an image we can read.") % {"name": name})
    try:
        image = Image.open(io.BytesIO(data), formats=sorted(FORMATS))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise not_image from error
    width, height = image.size
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        raise PhotoError(_("“%(name)s” has too many pixels.") % {"name": name})
    try:
        image.load()  # decodes every pixel: a truncated or forged file fails here
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise not_image from error
    return image


def _reencode(image: Image.Image) -> tuple[bytes, str, int, int]:
    image = ImageOps.exif_transpose(image)  # keep the orientation the EXIF gave, then drop it
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    out = io.BytesIO()
    if transparent:
        clean = image.convert("RGBA")
        clean.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        clean = image.convert("RGB")
        clean.save(out, format="JPEG", quality=85, optimize=True)
        extension = "jpg"
    return out.getvalue(), extension, clean.width, clean.height


def check_and_store(uploads: list[UploadedFile], *, store_slug: str) -> list[StoredPhoto]:
    """Decode, clean and store the shopper's photos for one line (or claim); all or none."""
    uploads = [upload for upload in uploads if upload and upload.name]
    if len(uploads) > MAX_PER_LINE:
        raise PhotoError(_("At most %(count)d photos per item.") % {"count": MAX_PER_LINE})
    cleaned = [_reencode(_decode(upload)) for upload in uploads]
    storage = storages["default"]
    stored = []
    for data, extension, width, height in cleaned:
        name = storage.save(
            f"portal/{store_slug}/{uuid.uuid4().hex}.{extension}", ContentFile(data)
        )
        stored.append(StoredPhoto(name=name, width=width, height=height))
    return stored
