"""Walk the journey with Django's test client (no JavaScript, like a browser without it)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.portal.helpers import image_bytes


def look_up(client: Client, slug: str, number: str, contact: str, **extra):
    return client.post(f"/returns/{slug}/", {"number": number, "contact": contact}, **extra)


def photo(name="shirt.jpg", data=None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data if data is not None else image_bytes(), content_type)


def walk_to_review(client: Client, slug: str, order, *, reason="too_small", resolution="refund"):
    """Every step up to the review page; returns the order's first line."""
    line = order.lines.order_by("id").first()
    base = f"/returns/{slug}"
    assert client.post(f"{base}/items", {f"qty-{line.pk}": "1"}).status_code == 302
    response = client.post(
        f"{base}/reasons",
        {
            f"reason-{line.pk}": reason,
            f"comment-{line.pk}": "Runs small",
            f"photos-{line.pk}": photo(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    data = {"resolution": resolution}
    if resolution == "exchange":
        data[f"variant-{line.pk}"] = str(
            order.lines.first().variant.product.variants.get(title="L").pk
        )
    response = client.post(f"{base}/resolution", data)
    assert response.status_code == 302, response.content.decode()
    response = client.post(f"{base}/method", {"method": "drop_off"})
    assert response.status_code == 302, response.content.decode()
    return line
