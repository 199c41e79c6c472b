"""The inspector's photos of a unit: checked by decoding them, then stored under the store's
folder. They are staff's pictures of goods on the bench, never shown to the shopper, so they
are kept as taken (the shopper's photos are the portal's, re-encoded without metadata)."""

import uuid
from collections.abc import Sequence

from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from retour.core.errors import InvalidRequest

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_UNIT = 5
MAX_PIXELS = 40_000_000
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def _extension(upload: UploadedFile) -> str:
    """The file's extension by what it is (not what it is called); refuses what is no image."""
    not_image = InvalidRequest(
        _("“%(name)s” is not a photo we can keep (JPEG, PNG or WebP up to 10 MB).")
        % {"name": upload.name}
    )
    if upload.size is None or upload.size > MAX_BYTES:
        raise not_image
    try:
        with Image.open(upload, formats=sorted(EXTENSIONS)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise not_image
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise not_image from error
    upload.seek(0)
    return EXTENSIONS[kind]


def photo_folder(store_id: int) -> str:
    return f"warehouse/{store_id}/inspection/"


def save_photos(store_id: int, uploads: Sequence[UploadedFile]) -> list[str]:
    """Check every upload, then store them all: the storage names. Nothing is stored when one
    of them is refused."""
    if len(uploads) > MAX_PER_UNIT:
        raise InvalidRequest(_("At most %(count)d photos per unit.") % {"count": MAX_PER_UNIT})
    extensions = [_extension(upload) for upload in uploads]
    storage = storages["default"]
    return [
        storage.save(f"{photo_folder(store_id)}{uuid.uuid4().hex}.{extension}", upload)
        for upload, extension in zip(uploads, extensions, strict=True)
    ]


def delete_photos(names: Sequence[str]) -> None:
    storage = storages["default"]
    for name in names:
        storage.delete(name)
