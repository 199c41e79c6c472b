"""Who may open which dashboard page or run which action: one table, every role of store A, and
the owner of store B, who must see nothing of A.

To add a page: add a `Page` row to `PAGES` (its URL name, method, path with placeholders, the
roles that may use it, from the scope the page declares: `roles_with(Scope…)`) and, if its path
or data names an object, a builder in `OBJECTS`. A role outside `allowed` gets `denied` (403 by
default: its own store, a scope its role lacks); store B's owner gets 404 on every page whose path
names something of store A (its existence is not revealed), and on the pages that list "my
stores" sees only B (`test_store_b_sees_nothing_of_a_on_…`). An action that answers every role
alike (a bulk action reports per return) says with `done` whether it took effect: exactly for the
`allowed` roles, never for store B's owner. `test_every_dashboard_page_is_in_the_table` fails when
a page has no row, `test_every_return_action_is_in_the_table` when an action has none.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver
from django.utils import timezone

from retour.accounts.models import ApiKey, Membership
from retour.accounts.scopes import ROLE_SCOPES, Role, Scope
from retour.commerce.models import StockLevel, Warehouse
from retour.connectors import services as connectors
from retour.connectors.choices import EventStatus, WriteBackKind, WriteBackStatus
from retour.connectors.models import InboundEvent, WriteBack
from retour.core.actors import Actor
from retour.dashboard.views import detail, queue
from retour.events.models import OutboxEvent
from retour.logistics import services as logistics
from retour.logistics.models import RoutingRule
from retour.notifications.choices import Channel, DeliveryStatus
from retour.notifications.models import Delivery, WebhookEndpoint
from retour.portal.models import Photo
from retour.refunds import services as refunds
from retour.refunds.choices import AllocationStatus
from retour.refunds.claims import decide_claim
from retour.refunds.exchange_offers import default_warehouse
from retour.refunds.models import Exchange, RefundAllocation, RefundSettings
from retour.returns import services as returns
from retour.returns.choices import ReturnStatus
from retour.returns.models import (
    Claim,
    Return,
    ReturnEvent,
    ReturnMessage,
    ReturnReason,
    SavedQueueView,
)
from retour.returns.services import LineRequest
from retour.warehouse import services as warehouse
from tests.factories import (
    SYSTEM,
    OrderFactory,
    ReturnFactory,
    VariantFactory,
    api_key,
    staff_user,
)
from tests.portal.helpers import image_bytes
from tests.refunds.helpers import inspect_return, make_order, open_return
from tests.warehouse.helpers import parcel_on_its_way, warehouse_of

ALL = frozenset(Role.values)
OWNER = frozenset({Role.OWNER})
# Pages with no sign-in or their own check: the sign-in steps, sign-out, the invitation link.
PUBLIC = {"login", "login-verify", "logout", "welcome"}


def roles_with(scope: Scope) -> frozenset[str]:
    """The roles whose scopes (accounts/scopes.py) include `scope`."""
    return frozenset(role for role, scopes in ROLE_SCOPES.items() if scope in scopes)


@dataclass(frozen=True)
class Page:
    name: str  # the URL name in the `dashboard` namespace
    method: str
    path: str  # `{store}` and the keys of OBJECTS are filled in from store A's objects
    allowed: frozenset[str]
    data: dict = field(default_factory=dict)
    ok: int = 200  # what an allowed role gets (a POST action redirects: 302)
    denied: int = 403  # what another role of store A gets
    names_store_a: bool = True  # whether store B's owner must get 404 (the path names A's data)
    by_role: dict = field(default_factory=dict)  # role → status, where a role gets another answer
    done: Callable | None = None  # world → whether the action took effect (see the docstring)


def _status_is(status: str) -> Callable:
    return lambda world: Return.objects.get(rma=_value(world, "review")).status == status


def _messaged(body: str) -> Callable:
    return lambda world: ReturnMessage.objects.filter(body=body).exists()


# The actions of a return's page and the scope each needs (accounts/scopes.py): support reviews
# and talks to the shopper, the warehouse handles labels, finance asks for and approves refunds.
RETURN_ACTIONS = {
    "approve": (Scope.RETURNS_REVIEW, {}, _status_is(ReturnStatus.APPROVED)),
    "reject": (Scope.RETURNS_REVIEW, {"reason": "Worn"}, _status_is(ReturnStatus.REJECTED)),
    "cancel": (Scope.RETURNS_WRITE, {"reason": "Asked"}, _status_is(ReturnStatus.CANCELLED)),
    "change_method": (Scope.RETURNS_LOGISTICS, {"method": "mail", "reason": "Far"}, None),
    "issue_label": (Scope.RETURNS_LOGISTICS, {}, None),
    "void_label": (Scope.RETURNS_LOGISTICS, {"reason": "Wrong box"}, None),
    "message": (Scope.RETURNS_WRITE, {"body": "Hello Ada"}, _messaged("Hello Ada")),
    "note": (Scope.RETURNS_READ, {"body": "Box dented"}, _messaged("Box dented")),
    "refund": (Scope.REFUNDS_WRITE, {"amount": "0"}, None),
    "store_credit": (Scope.REFUNDS_WRITE, {"amount": "0"}, None),
    "approve_refund": (Scope.REFUNDS_APPROVE, {"amount": "0"}, None),
    # The replacement costs what was paid: nothing to pay, nothing refunded.
    "exchange": (
        Scope.REFUNDS_WRITE,
        {"line-{review_line}": "{replacement}", "amount": "{review_line}:{replacement}:0.00"},
        lambda world: Exchange.objects.filter(return_request__rma=_value(world, "review")).exists(),
    ),
}
BULK_ACTIONS = {
    "approve": _status_is(ReturnStatus.APPROVED),
    "reject": _status_is(ReturnStatus.REJECTED),
}
SETTINGS = "/dashboard/settings/{store}/"
RECEIVING = roles_with(Scope.RETURNS_RECEIVE)

PAGES = [
    Page("overview", "GET", "/dashboard/", roles_with(Scope.RETURNS_READ), names_store_a=False),
    Page("overview", "GET", "/dashboard/?store={store}", roles_with(Scope.RETURNS_READ)),
    Page("two-factor", "GET", "/dashboard/account/", ALL, names_store_a=False),
    Page("password-change", "GET", "/dashboard/account/password", ALL, names_store_a=False),
    Page(
        "backup-codes", "POST", "/dashboard/account/backup-codes", ALL, ok=302, names_store_a=False
    ),
    Page(
        "two-factor-off",
        "POST",
        "/dashboard/account/two-factor/off",
        ALL,
        ok=302,
        names_store_a=False,
    ),
    # Staff, roles and API keys: the owners'.
    Page("staff", "GET", SETTINGS + "staff/", roles_with(Scope.STAFF_MANAGE)),
    Page(
        "staff",
        "POST",
        SETTINGS + "staff/",
        roles_with(Scope.STAFF_MANAGE),
        data={"email": "new.person@example.com", "role": Role.SUPPORT},
        ok=302,
    ),
    Page(
        "staff-member",
        "POST",
        SETTINGS + "staff/{member}",
        roles_with(Scope.STAFF_MANAGE),
        data={"role": Role.FINANCE},
        ok=302,
    ),
    Page(
        "staff-member",
        "POST",
        SETTINGS + "staff/{member}",
        roles_with(Scope.STAFF_MANAGE),
        data={"remove": "1"},
        ok=302,
    ),
    Page(
        "staff-two-factor",
        "POST",
        SETTINGS + "staff/two-factor",
        roles_with(Scope.STAFF_MANAGE),
        data={"required": "on"},
        ok=302,
    ),
    Page("api-keys", "GET", SETTINGS + "api-keys/", roles_with(Scope.STAFF_MANAGE)),
    Page(
        "api-keys",
        "POST",
        SETTINGS + "api-keys/",
        roles_with(Scope.STAFF_MANAGE),
        data={"name": "shop sync", "scopes": [Scope.ORDERS_WRITE]},
        ok=302,
    ),
    Page(
        "api-key-revoke",
        "POST",
        SETTINGS + "api-keys/{key}/revoke",
        roles_with(Scope.STAFF_MANAGE),
        ok=302,
    ),
    # The warehouse: the station, its daily report and inspection need `returns:receive`; the
    # station finds nothing outside the stores where the role has it.
    Page("receiving", "GET", "/dashboard/receiving/", RECEIVING, names_store_a=False),
    Page(
        "receiving-scan",
        "POST",
        "/dashboard/receiving/scan",
        RECEIVING,
        data={"code": "{rma}"},
        ok=302,
        names_store_a=False,
    ),
    Page(
        "receiving-receive",
        "POST",
        "/dashboard/receiving/receive",
        RECEIVING,
        ok=302,
        names_store_a=False,
    ),
    Page(
        "receiving-clear",
        "POST",
        "/dashboard/receiving/clear",
        RECEIVING,
        ok=302,
        names_store_a=False,
    ),
    Page(
        "receiving-warehouse",
        "POST",
        "/dashboard/receiving/warehouse",
        RECEIVING,
        data={"warehouse": "{warehouse}"},
        ok=302,
    ),
    Page("daily-report", "GET", "/dashboard/reports/daily", RECEIVING, names_store_a=False),
    Page("daily-report-csv", "GET", "/dashboard/reports/daily.csv?store={store}", RECEIVING),
    Page("operations", "GET", "/dashboard/operations/", OWNER, names_store_a=False),
    Page("inspection", "GET", "/dashboard/inspection/", RECEIVING, names_store_a=False),
    Page("inspection-sheet", "GET", "/dashboard/inspection/{received}/", RECEIVING),
    Page(
        "inspection-inspect",
        "POST",
        "/dashboard/inspection/{received}/lines/{line}/units/1",
        RECEIVING,
        data={"grade": "A"},
        ok=302,
    ),
    Page(
        "inspection-dispose",
        "POST",
        "/dashboard/inspection/{received}/lines/{inspected_line}/units/1/disposition",
        RECEIVING,
        data={"disposition": "restock"},
        ok=302,
    ),
    # The page is the bench's; correcting a count needs `receipts:correct` (the operator who
    # counted gets 403 from the service, the other roles from the page).
    Page(
        "inspection-correct",
        "POST",
        "/dashboard/inspection/{received}/correct",
        roles_with(Scope.RECEIPTS_CORRECT),
        data={"reason": "Recounted", "count-{line}": "1"},
        ok=302,
    ),
    Page(
        "shopper-photo",
        "GET",
        "/dashboard/inspection/photos/{return_line}/{photo}",
        roles_with(Scope.RETURNS_READ),
    ),
    Page("unit-photo", "GET", "/dashboard/inspection/units/{unit}/photos/0", RECEIVING),
    # Insights: owner, support and finance (`insights:read`), not the warehouse.
    *(
        Page(name, "GET", path + suffix, roles_with(Scope.INSIGHTS_READ), names_store_a=named)
        for name, path in (
            ("insights", "/dashboard/insights/"),
            ("insights-products", "/dashboard/insights/products"),
            ("insights-shoppers", "/dashboard/insights/shoppers"),
        )
        for suffix, named in (("", False), ("?store={store}", True))
    ),
    # The returns queue, its saved views and bulk actions.
    Page(
        "returns", "GET", "/dashboard/returns/", roles_with(Scope.RETURNS_READ), names_store_a=False
    ),
    Page(
        "returns-save-view",
        "POST",
        "/dashboard/returns/views/save",
        roles_with(Scope.RETURNS_READ),
        data={"name": "to inspect", "query": "status=received"},
        ok=302,
        names_store_a=False,
    ),
    # One's own saved view (store B's owner tries A's owner's: 404).
    Page(
        "returns-delete-view",
        "POST",
        "/dashboard/returns/views/{view}/delete",
        roles_with(Scope.RETURNS_READ),
        ok=302,
    ),
    # The answer lists what was done per return: every role is sent back to the queue.
    *(
        Page(
            "returns-bulk",
            "POST",
            "/dashboard/returns/bulk",
            roles_with(Scope.RETURNS_REVIEW),
            data={"action": action, "rma": "{review}", "message": "Worn"},
            ok=302,
            denied=302,
            names_store_a=False,
            done=done,
        )
        for action, done in BULK_ACTIONS.items()
    ),
    # A return's page, its photos, the money confirmations and its actions.
    Page("return", "GET", "/dashboard/returns/{rma}/", roles_with(Scope.RETURNS_READ)),
    Page(
        "return-photo",
        "GET",
        "/dashboard/returns/{rma}/photos/{photo}",
        roles_with(Scope.RETURNS_READ),
    ),
    *(
        Page(
            "return-confirm",
            "GET",
            "/dashboard/returns/{received_rma}/confirm/" + action,
            roles_with(Scope.REFUNDS_WRITE),
        )
        for action in ("refund", "store_credit")
    ),
    Page(
        "return-confirm",
        "GET",
        "/dashboard/returns/{review}/confirm/exchange?line-{review_line}={replacement}",
        roles_with(Scope.REFUNDS_WRITE),
    ),
    # No refund of the return awaits its second approval: back to the return's page.
    Page(
        "return-confirm",
        "GET",
        "/dashboard/returns/{received_rma}/confirm/approve_refund",
        roles_with(Scope.REFUNDS_APPROVE),
        ok=302,
    ),
    *(
        Page(
            "return-act",
            "POST",
            "/dashboard/returns/{review}/do/" + action,
            roles_with(scope),
            data={"version": "{version}", **data},
            ok=302,
            done=done,
        )
        for action, (scope, data, done) in RETURN_ACTIONS.items()
    ),
    # Claims: read by every role, decided with `returns:review`.
    Page(
        "claims", "GET", "/dashboard/claims/", roles_with(Scope.RETURNS_READ), names_store_a=False
    ),
    Page("claim", "GET", "/dashboard/claims/{claim}/", roles_with(Scope.RETURNS_READ)),
    Page(
        "claim-photo",
        "GET",
        "/dashboard/claims/{claim}/photos/{claim_photo}",
        roles_with(Scope.RETURNS_READ),
    ),
    Page(
        "claim-confirm",
        "GET",
        "/dashboard/claims/{claim}/confirm?resolution=refund",
        roles_with(Scope.RETURNS_REVIEW),
    ),
    Page(
        "claim-decide",
        "POST",
        "/dashboard/claims/{claim}/decide",
        roles_with(Scope.RETURNS_REVIEW),
        data={"decision": "reject", "reason": "No damage visible"},
        ok=302,
        done=lambda world: Claim.objects.get(number=_value(world, "claim")).status == "rejected",
    ),
    Page(
        "refund-deadlines",
        "GET",
        "/dashboard/refunds/deadlines",
        roles_with(Scope.RETURNS_RESOLVE),
        names_store_a=False,
    ),
    # A claim's refund above the four-eyes threshold: its second approval.
    Page(
        "claim-approve-refund",
        "GET",
        "/dashboard/claims/{claim_awaiting}/approve-refund",
        roles_with(Scope.REFUNDS_APPROVE),
    ),
    Page(
        "claim-approve-refund",
        "POST",
        "/dashboard/claims/{claim_awaiting}/approve-refund",
        roles_with(Scope.REFUNDS_APPROVE),
        data={"amount": "{claim_awaiting_amount}"},
        ok=302,
        done=lambda world: _claim_awaiting(world).refunds.get().approved_by_id is not None,
    ),
    # Refunds given back outside Retour (the manual gateway): finance and owners record them.
    Page(
        "refunds-to-record",
        "GET",
        "/dashboard/refunds/to-record",
        roles_with(Scope.REFUNDS_WRITE),
        names_store_a=False,
    ),
    Page(
        "refund-record-confirm",
        "GET",
        "/dashboard/refunds/parts/{manual_part}/confirm?outcome=succeeded&reference=VIR-1",
        roles_with(Scope.REFUNDS_WRITE),
    ),
    Page(
        "refund-record",
        "POST",
        "/dashboard/refunds/parts/{manual_part}/record",
        roles_with(Scope.REFUNDS_WRITE),
        data={"amount": "{manual_part_amount}", "outcome": "succeeded", "reference": "VIR-1"},
        ok=302,
        done=lambda world: (
            RefundAllocation.objects.get(pk=_value(world, "manual_part")).status
            == AllocationStatus.SUCCEEDED
        ),
    ),
    # Settings (dashboard/views/settings.py SECTIONS: the roles of each section).
    # One store where the role opens a section: straight to its settings; none: an empty list.
    Page(
        "settings-stores",
        "GET",
        "/dashboard/settings/",
        ALL,
        ok=302,
        names_store_a=False,
        by_role={Role.WAREHOUSE: 200},
    ),
    Page("settings", "GET", SETTINGS, ALL - {Role.WAREHOUSE}),
    Page("settings-branding", "GET", SETTINGS + "branding", OWNER),
    Page("settings-policy", "GET", SETTINGS + "policy", OWNER),
    Page("settings-reasons", "GET", SETTINGS + "reasons/", frozenset({Role.OWNER, Role.SUPPORT})),
    Page(
        "settings-reason",
        "GET",
        SETTINGS + "reasons/{reason}",
        frozenset({Role.OWNER, Role.SUPPORT}),
    ),
    Page(
        "settings-reason-action",
        "POST",
        SETTINGS + "reasons/{reason}/action",
        frozenset({Role.OWNER, Role.SUPPORT}),
        data={"action": "deactivate"},
        ok=302,
    ),
    Page("settings-carriers", "GET", SETTINGS + "carriers/", OWNER),
    Page("settings-carrier", "GET", SETTINGS + "carriers/{carrier}", OWNER),
    Page("settings-routing-rule", "GET", SETTINGS + "routing/{rule}", OWNER),
    Page("settings-emails", "GET", SETTINGS + "emails/", frozenset({Role.OWNER, Role.SUPPORT})),
    Page(
        "settings-email",
        "GET",
        SETTINGS + "emails/return.approved/en",
        frozenset({Role.OWNER, Role.SUPPORT}),
    ),
    Page("settings-webhooks", "GET", SETTINGS + "webhooks/", OWNER),
    Page("settings-webhook-enable", "POST", SETTINGS + "webhooks/{endpoint}/enable", OWNER, ok=302),
    Page(
        "settings-delivery-replay", "POST", SETTINGS + "deliveries/{delivery}/replay", OWNER, ok=302
    ),
    Page("settings-connections", "GET", SETTINGS + "connections/", OWNER),
    Page(
        "settings-connection-backfill",
        "POST",
        SETTINGS + "connections/{connection}/backfill",
        OWNER,
        ok=302,
    ),
    Page(
        "settings-write-back-retry",
        "POST",
        SETTINGS + "connections/write-backs/{write_back}/retry",
        OWNER,
        ok=302,
    ),
    Page(
        "settings-event-replay",
        "POST",
        SETTINGS + "connections/events/{event}/replay",
        OWNER,
        ok=302,
    ),
    # Refunds' money settings: owner and finance; never the warehouse.
    Page("settings-refunds", "GET", SETTINGS + "refunds", frozenset({Role.OWNER, Role.FINANCE})),
]


def _once(world, name: str, build: Callable):
    """`build(world)`, made once per test: several placeholders name parts of one object."""
    made = world.setdefault("made", {})
    if name not in made:
        made[name] = build(world)
    return made[name]


def _member(world):
    return Membership.objects.get(user=world["users"][Role.SUPPORT], store=world["store"]).pk


def _key(world):
    api_key(world["store"], [Scope.RETURNS_READ], name="to revoke")
    return ApiKey.objects.get(store=world["store"], name="to revoke").pk


def _warehouse(world):
    return Warehouse.objects.create(store=world["store"], name="Second", code="w2", country="FR").pk


def _received(world):
    """A return of store A whose parcel was received (2 units of its first line, 1 of its
    second): (return, [lines])."""

    def build(world):
        warehouse_of(world["store"])
        return_request, lines = parcel_on_its_way(world["store"])
        warehouse.receive_parcel(
            return_request=return_request,
            warehouse=None,
            quantities={lines[0].pk: 2, lines[1].pk: 1},
            actor=Actor.staff(world["users"][Role.WAREHOUSE]),
        )
        return return_request, lines

    return _once(world, "received", build)


def _inspected(world):
    """The first unit of the received return's first line, graded A, with a photo."""

    def build(world):
        return warehouse.inspect_unit(
            return_line=_received(world)[1][0],
            unit_index=1,
            grade="A",
            checklist={},
            notes="",
            uploads=[SimpleUploadedFile("unit.jpg", image_bytes(), content_type="image/jpeg")],
            outcome="",
            deduction=None,
            reason="",
            actor=Actor.staff(world["users"][Role.WAREHOUSE]),
        )

    return _once(world, "inspected", build)


def _shopper_photo(world):
    line = world["return"].lines.first()
    photo = Photo(store=world["store"], return_line=line, width=64, height=48)
    photo.file.save("stain.jpg", ContentFile(image_bytes()), save=False)
    photo.save()
    return photo.pk


def _claim(world):
    """A claim of store A waiting for a decision: 1 unit of an order's line, damaged."""

    def build(world):
        order = OrderFactory(store=world["store"], lines=[1])
        line = LineRequest(order.lines.get().pk, 1)
        return returns.create_claim(order=order, kind="damaged", lines=[line], actor=SYSTEM)

    return _once(world, "claim", build)


def _manual_part(world) -> RefundAllocation:
    """The part of a return's refund of store A waiting for finance (the manual gateway)."""

    def build(world):
        return_request = inspect_return(open_return(make_order(world["store"])))
        refund = refunds.request_refund(return_request=return_request, actor=SYSTEM)
        return refunds.process_refund(refund.pk).allocations.get()

    return _once(world, "manual_part", build)


def _claim_awaiting(world) -> Claim:
    """A claim of store A approved with a refund above the four-eyes threshold."""

    def build(world):
        RefundSettings.objects.create(store=world["store"], four_eyes_threshold=1)
        order = OrderFactory(store=world["store"], lines=[1])
        line = LineRequest(order.lines.get().pk, 1)
        claim = returns.create_claim(order=order, kind="damaged", lines=[line], actor=SYSTEM)
        decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")
        return claim

    return _once(world, "claim_awaiting", build)


def _claim_photo(world):
    photo = Photo(store=world["store"], claim=_claim(world), width=64, height=48)
    photo.file.save("crushed.jpg", ContentFile(image_bytes()), save=False)
    photo.save()
    return photo.pk


def _review(world):
    """A return of store A waiting for review."""

    def build(world):
        order = OrderFactory(store=world["store"], lines=[1])
        return ReturnFactory(order=order, status=ReturnStatus.PENDING_REVIEW)

    return _once(world, "review", build)


def _replacement(world):
    """Another variant of the product of the reviewed return's item, at its price, in stock."""
    returned = _review(world).lines.get().order_line.variant
    stock = StockLevel.objects.create(
        warehouse=default_warehouse(world["store"].pk) or warehouse_of(world["store"]),
        variant=VariantFactory(
            store=world["store"], product=returned.product, price=returned.price
        ),
        on_hand=3,
    )
    return stock.variant_id


def _version(world):
    latest = ReturnEvent.objects.filter(return_request=_review(world)).order_by("-id").first()
    return str(latest.pk if latest else 0)


def _view(world):
    """A saved queue view of the person calling (of A's owner when store B's owner calls)."""
    user = world.get("me", world["users"][Role.OWNER])
    return SavedQueueView.objects.create(user=user, name="mine", query="status=received").pk


def _carrier(world):
    account = logistics.save_carrier_account(
        store=world["store"],
        kind="easypost",
        name="EasyPost",
        active=True,
        secrets={"api_key": "EZTK-test"},
        actor=SYSTEM,
    )
    return account.pk


def _endpoint(world):
    def build(world):
        return WebhookEndpoint.objects.create(
            store=world["store"],
            url="https://shop-a.example/hooks",
            secret="whsec_a",
            disabled_at=timezone.now(),
        )

    return _once(world, "endpoint", build)


def _delivery(world):
    endpoint = _endpoint(world)
    event = OutboxEvent.objects.create(store=world["store"], type="return.approved", payload={})
    delivery = Delivery.objects.create(
        event=event,
        store=world["store"],
        channel=Channel.WEBHOOK,
        recipient=endpoint.url,
        endpoint=endpoint,
        status=DeliveryStatus.ABANDONED,
    )
    return delivery.pk


def _connection(world):
    def build(world):
        return connectors.connect(
            store=world["store"],
            platform="shopify",
            base_url="https://shop-a.myshopify.com",
            credentials={"access_token": "shpat_test", "webhook_secret": "whsec_test"},
            actor=SYSTEM,
        )

    return _once(world, "connection", build)


def _write_back(world):
    write_back = WriteBack.objects.create(
        connection=_connection(world),
        kind=WriteBackKind.RESTOCK,
        source_event="00000000-0000-0000-0000-000000000001",
        idempotency_key="retour-restock-1",
        status=WriteBackStatus.FAILED,
    )
    return write_back.pk


def _event(world):
    event = InboundEvent.objects.create(
        connection=_connection(world),
        key="delivery-1",
        topic="orders/updated",
        status=EventStatus.FAILED,
    )
    return event.pk


# Placeholder → how to make store A's object it names (only built when a row uses it).
OBJECTS = {
    "member": _member,
    "key": _key,
    "warehouse": _warehouse,
    "rma": lambda world: world["return"].rma,
    "received": lambda world: _received(world)[0].pk,
    "received_rma": lambda world: _received(world)[0].rma,
    "line": lambda world: _received(world)[1][0].pk,
    "inspected_line": lambda world: _inspected(world).return_line_id,
    "unit": lambda world: _inspected(world).pk,
    "return_line": lambda world: world["return"].lines.first().pk,
    "photo": _shopper_photo,
    "claim": lambda world: _claim(world).number,
    "claim_photo": _claim_photo,
    "claim_awaiting": lambda world: _claim_awaiting(world).number,
    "claim_awaiting_amount": lambda world: f"{_claim_awaiting(world).refunds.get().amount:.2f}",
    "manual_part": lambda world: _manual_part(world).pk,
    "manual_part_amount": lambda world: f"{_manual_part(world).amount:.2f}",
    "review": lambda world: _review(world).rma,
    "review_line": lambda world: _review(world).lines.get().pk,
    "replacement": _replacement,
    "version": _version,
    "view": _view,
    "reason": lambda world: ReturnReason.objects.filter(store=world["store"]).first().pk,
    "carrier": _carrier,
    "rule": lambda world: RoutingRule.objects.create(store=world["store"], name="FR").pk,
    "endpoint": lambda world: _endpoint(world).pk,
    "delivery": _delivery,
    "connection": lambda world: _connection(world).pk,
    "write_back": _write_back,
    "event": _event,
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(store_a, store_b):
    """Store A with one person per role and a return; store B with its owner."""
    users = {role: staff_user(store_a, role, username=f"{role}-a") for role in Role.values}
    return {
        "store": store_a,
        "users": users,
        "owner_b": staff_user(store_b, Role.OWNER, username="owner-b"),
        "return": ReturnFactory(
            order=OrderFactory(store=store_a, lines=[1]), status=ReturnStatus.IN_TRANSIT
        ),
        "return_b": ReturnFactory(
            order=OrderFactory(store=store_b, lines=[1]), status=ReturnStatus.IN_TRANSIT
        ),
    }


def _value(world, key: str):
    return _once(world, "{" + key + "}", OBJECTS[key])


def _fill(text: str, world) -> str:
    values = {"store": world["store"].slug}
    for key in OBJECTS:
        if "{" + key + "}" in text:
            values[key] = _value(world, key)
    return text.format(**values)


def _call(client, page: Page, world):
    path = _fill(page.path, world)
    data = {
        _fill(key, world): (_fill(value, world) if isinstance(value, str) else value)
        for key, value in page.data.items()
    }
    return client.get(path) if page.method == "GET" else client.post(path, data)


def _id(page: Page) -> str:
    data = ",".join(f"{key}={value}" for key, value in page.data.items() if key != "version")
    return f"{page.method} {page.path}{'+' + data if data else ''}"


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_each_role_gets_what_the_table_says(page, role, world, session_client):
    world["me"] = world["users"][role]
    client = session_client(world["me"])

    answer = _call(client, page, world)

    expected = page.by_role.get(role, page.ok if role in page.allowed else page.denied)
    assert answer.status_code == expected, (page.path, role, answer.status_code)
    if page.done is not None:
        assert page.done(world) == (role in page.allowed), (page.path, page.data, role)


@pytest.mark.parametrize("page", [page for page in PAGES if page.names_store_a], ids=_id)
def test_store_b_staff_get_404_for_what_names_store_a(page, world, session_client):
    client = session_client(world["owner_b"])

    assert _call(client, page, world).status_code == 404


@pytest.mark.parametrize("page", [page for page in PAGES if page.done is not None], ids=_id)
def test_store_b_staff_change_nothing_of_store_a(page, world, session_client):
    _call(session_client(world["owner_b"]), page, world)

    assert not page.done(world)


@pytest.mark.parametrize(
    "page",
    [page for page in PAGES if not page.names_store_a and page.method == "GET"],
    ids=_id,
)
def test_store_b_sees_nothing_of_a_on_the_pages_of_all_my_stores(page, world, session_client):
    client = session_client(world["owner_b"])

    html = _call(client, page, world).content.decode()

    assert world["return"].rma not in html
    assert "Store A" not in html


def test_an_anonymous_visitor_is_sent_to_sign_in(world, client):
    for page in PAGES:
        answer = _call(client, page, world)
        assert answer.status_code == 302, page.path
        assert answer["Location"].startswith("/dashboard/login/"), page.path


def test_every_dashboard_page_is_in_the_table():
    resolver = get_resolver().namespace_dict["dashboard"][1]
    names = {pattern.name for pattern in resolver.url_patterns}

    missing = names - PUBLIC - {page.name for page in PAGES}

    assert not missing, f"add rows to PAGES for: {sorted(missing)}"


def test_every_return_action_is_in_the_table():
    assert set(RETURN_ACTIONS) == set(detail.ACTIONS)
    assert set(BULK_ACTIONS) == set(queue.BULK_ACTIONS)
