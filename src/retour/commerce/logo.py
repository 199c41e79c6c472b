"""A store's logo: accepted only if Pillow decodes it completely, then re-encoded as PNG.

The declared name and content type are ignored. Re-encoding from the pixels drops metadata and
anything hidden after the image data; the size is checked from the header before the pixels are
decoded, so a small file that expands to gigapixels is refused without allocating them.
"""

import io

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from retour.core.errors import InvalidRequest

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 16_000_000
MAX_BOX = (800, 240)  # shown at most 48 px high in the portal: room for high-density screens
FORMATS = ("GIF", "JPEG", "PNG", "WEBP")


def clean_logo(data: bytes) -> bytes:
    """The logo re-encoded as PNG (transparency kept), scaled down to fit `MAX_BOX`."""
    if len(data) > MAX_BYTES:
        raise InvalidRequest(_("The logo is larger than 2 MB."), field="logo")
    not_image = InvalidRequest(
        _("The logo is not an image we can read (PNG, JPEG, WebP or GIF)."), field="logo"
    )
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise InvalidRequest(_("The logo has too many pixels."), field="logo")
        image.load()  # decodes every pixel: a truncated or forged file fails here
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise not_image from error
    except Image.DecompressionBombError as error:
        raise InvalidRequest(_("The logo has too many pixels."), field="logo") from error
    image.thumbnail(MAX_BOX)
    out = io.BytesIO()
    image.convert("RGBA").save(out, format="PNG", optimize=True)
    return out.getvalue()
