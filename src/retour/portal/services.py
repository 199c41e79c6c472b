"""The portal's writes: a shopper's return and claim, with their photos, and feedback.

Business rules stay in the domain services: `returns.services.create_return` re-checks the
policy, `refunds.exchanges.request_exchange` reserves the replacement's stock. This module only
puts them in one transaction with what the portal itself keeps (photos, pickup details).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from retour.commerce.models import Order, Variant
from retour.core.actors import Actor
from retour.core.errors import InvalidRequest
from retour.logistics.documents import Address
from retour.logistics.services import request_pickup
from retour.portal.models import Feedback, Photo
from retour.portal.photos import StoredPhoto
from retour.refunds.exchanges import request_exchange
from retour.returns import lifecycle
from retour.returns.choices import ClaimKind, Resolution, ReturnMethod, ReturnStatus
from retour.returns.models import Claim, Return
from retour.returns.services import LineRequest, create_claim, create_return


@dataclass(frozen=True)
class ShopperLine:
    order_line_id: int
    quantity: int
    reason_code: str
    comment: str = ""
    photos: Sequence[StoredPhoto] = ()
    exchange_variant_id: int | None = None


@dataclass(frozen=True)
class Submission:
    lines: Sequence[ShopperLine]
    resolution: str
    method: str
    details: Mapping[str, str] = field(default_factory=dict)  # pickup (date, window, address), shop


def _photo_rows(store_id: int, photos: Sequence[StoredPhoto], **owner) -> list[Photo]:
    return [
        Photo(store_id=store_id, file=p.name, width=p.width, height=p.height, **owner)
        for p in photos
    ]


@transaction.atomic
def submit_return(*, order: Order, submission: Submission, email: str, locale: str) -> Return:
    """Open the shopper's return (the policy decides it again), attach the photos, record the
    method's details and reserve exchanges: all or nothing."""
    actor = Actor.shopper(email)
    return_request = create_return(
        order=order,
        lines=[
            LineRequest(
                order_line_id=line.order_line_id,
                quantity=line.quantity,
                reason_code=line.reason_code,
                comment=line.comment,
                photos=[photo.name for photo in line.photos],
            )
            for line in submission.lines
        ],
        method=submission.method,
        resolution=submission.resolution,
        actor=actor,
        locale=locale,
    )
    return_lines = {line.order_line_id: line for line in return_request.lines.all()}
    photos: list[Photo] = []
    for line in submission.lines:
        photos += _photo_rows(
            order.store_id, line.photos, return_line=return_lines[line.order_line_id]
        )
    Photo.objects.bulk_create(photos)
    rejected = return_request.status == ReturnStatus.REJECTED
    if return_request.method == ReturnMethod.PICKUP and not rejected:
        _request_pickup(return_request, submission.details, actor)
    elif submission.details:
        lifecycle.record_event(
            return_request, "shopper_details", actor=actor, data=dict(submission.details)
        )
    if submission.resolution == Resolution.EXCHANGE and not rejected:
        variant_ids = [line.exchange_variant_id for line in submission.lines]
        variants = Variant.objects.in_bulk([v for v in variant_ids if v])
        for line in submission.lines:
            variant = variants.get(line.exchange_variant_id or 0)
            if variant is None:
                raise InvalidRequest("exchange without a variant")
            request_exchange(
                return_line=return_lines[line.order_line_id], variant=variant, actor=actor
            )
    return return_request


def _request_pickup(return_request: Return, details: Mapping[str, str], actor: Actor) -> None:
    """The pickup the shopper asked for, kept until the label exists (then booked by the
    label job: `logistics.jobs.book_requested_pickup`)."""
    order = return_request.order
    request_pickup(
        return_request=return_request,
        date=date.fromisoformat(details.get("pickup_date", "")),
        window=details.get("pickup_window", ""),
        address=Address(
            name=details.get("pickup_name") or order.email,
            lines=[details.get("pickup_line1", ""), details.get("pickup_line2", "")],
            postcode=details.get("pickup_postcode", ""),
            city=details.get("pickup_city", ""),
            country=order.shipping_country or (order.shipping_address or {}).get("country", ""),
        ),
        phone=details.get("pickup_phone", ""),
        actor=actor,
    )


@transaction.atomic
def submit_claim(
    *,
    order: Order,
    kind: str,
    lines: Sequence[tuple[int, int]],
    description: str,
    photos: Sequence[StoredPhoto],
    email: str,
) -> Claim:
    """Report a problem with no parcel to send back; the shop decides refund or replacement."""
    if kind not in ClaimKind.values:
        raise InvalidRequest("unknown claim kind")
    claim = create_claim(
        order=order,
        kind=kind,
        lines=[LineRequest(order_line_id=line_id, quantity=qty) for line_id, qty in lines],
        actor=Actor.shopper(email),
        description=description,
    )
    Photo.objects.bulk_create(_photo_rows(order.store_id, photos, claim=claim))
    return claim


def leave_feedback(*, return_request: Return, rating: int, comment: str, language: str) -> None:
    """The shopper's survey answer; answering again replaces it."""
    if not 1 <= rating <= 5:
        raise InvalidRequest("rating out of range")
    Feedback.objects.update_or_create(
        return_request=return_request,
        defaults={
            "store_id": return_request.store_id,
            "rating": rating,
            "comment": comment[:4000],
            "language": language,
        },
    )
