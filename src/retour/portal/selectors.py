"""Reads for the shopper's pages, each a fixed number of queries whatever the order's size."""

from collections import defaultdict
from typing import Any

from django.db.models import F, Prefetch, QuerySet, Sum

from retour.commerce.models import Product, Variant
from retour.returns.choices import ReturnStatus
from retour.returns.models import Return, ReturnEvent, ReturnLine, ReturnReason

SIZE_ORDER = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"]
SIZE_KEYS = ("size", "taille", "Size", "Taille")


def reason_catalogue(store_id: int) -> list[ReturnReason]:
    """The store's active reasons, parents first, each with `children` listed. One query."""
    reasons = list(ReturnReason.objects.filter(store_id=store_id, active=True))
    by_parent: dict[int, list[ReturnReason]] = defaultdict(list)
    for reason in reasons:
        if reason.parent_id:
            by_parent[reason.parent_id].append(reason)
    parents = [reason for reason in reasons if not reason.parent_id]
    for parent in parents:
        parent.listed_children = by_parent.get(parent.pk, [])
    return parents


def reasons_by_code(store_id: int) -> dict[str, ReturnReason]:
    """Every active reason by its code, with its parent (one query)."""
    return {
        reason.code: reason
        for reason in ReturnReason.objects.filter(store_id=store_id, active=True).select_related(
            "parent"
        )
    }


def in_stock_variants(store_id: int, product_ids) -> dict[int, list[Variant]]:
    """Per product, its variants with stock available (on hand − reserved > 0), cheapest first.
    One query."""
    variants = (
        Variant.objects.filter(store_id=store_id, product_id__in=set(product_ids))
        .annotate(available=Sum(F("stock__on_hand") - F("stock__reserved")))
        .filter(available__gt=0)
        .order_by("product_id", "price", "id")
    )
    found: dict[int, list[Variant]] = defaultdict(list)
    for variant in variants:
        found[variant.product_id].append(variant)
    return found


def return_for_shopper(store_id: int, rma: str) -> Return | None:
    """A return with its lines, their order lines and reasons, and its events: three queries."""
    return (
        Return.objects.filter(store_id=store_id, rma=rma)
        .select_related("order", "store")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnLine.objects.select_related(
                    "order_line__variant__product", "reason__parent"
                ).order_by("id"),
            ),
            Prefetch("events", queryset=ReturnEvent.objects.order_by("created_at", "id")),
        )
        .first()
    )


def returns_of_order(order_id: int) -> QuerySet[Return]:
    return (
        Return.objects.filter(order_id=order_id)
        .order_by("-created_at")
        .only("rma", "status", "created_at", "store_id")
    )


def _size_rank(value: str) -> float | None:
    value = (value or "").strip().upper()
    if value in SIZE_ORDER:
        return float(SIZE_ORDER.index(value))
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def _size(options: dict) -> str:
    for key in SIZE_KEYS:
        if key in (options or {}):
            return str(options[key])
    return ""


def recommendations(return_request: Return, *, limit: int = 4) -> list[dict[str, Any]]:
    """Products to bring the shopper back: for a "too small/too large" line, the same product in
    the next size first; then in-stock products of the returned items' categories. Two queries."""
    lines = list(return_request.lines.all())  # prefetched by `return_for_shopper`
    picks: list[dict[str, Any]] = []
    products = [line.order_line.variant.product for line in lines if line.order_line.variant_id]
    product_ids = {product.pk for product in products}
    sized = {}
    for line in lines:
        code = line.reason.code if line.reason else ""
        if code in ("too_small", "too_large") and line.order_line.variant_id:
            variant = line.order_line.variant
            rank = _size_rank(_size(variant.options))
            if rank is not None:
                sized[variant.product_id] = (rank, 1 if code == "too_small" else -1)
    if sized:
        stock = in_stock_variants(return_request.store_id, sized)
        for product_id, (rank, direction) in sized.items():
            ranked = [
                (r, variant)
                for variant in stock.get(product_id, [])
                if (r := _size_rank(_size(variant.options))) is not None
                and (r - rank) * direction > 0
            ]
            ranked.sort(key=lambda item: abs(item[0] - rank))
            if ranked:
                variant = ranked[0][1]
                product = variant.product if "product" in variant._state.fields_cache else None
                picks.append(
                    {
                        "title": (product.title if product else "")
                        or next((p.title for p in products if p.pk == product_id), ""),
                        "variant": variant.title or _size(variant.options),
                        "image_url": next(
                            (p.image_url for p in products if p.pk == product_id), ""
                        ),
                        "price": variant.price,
                        "right_size": True,
                    }
                )
    categories = {product.category for product in products if product.category}
    if categories:
        similar = (
            Product.objects.filter(store_id=return_request.store_id, category__in=categories)
            .exclude(pk__in=product_ids)
            .annotate(available=Sum(F("variants__stock__on_hand") - F("variants__stock__reserved")))
            .filter(available__gt=0)
            .order_by("-available", "id")[: max(limit - len(picks), 0)]
        )
        for product in similar:
            picks.append(
                {
                    "title": product.title,
                    "variant": "",
                    "image_url": product.image_url,
                    "price": None,
                    "right_size": False,
                }
            )
    return picks[:limit]


RESOLVED_STATUSES = frozenset({ReturnStatus.RESOLVED, ReturnStatus.CLOSED})
