"""factory_boy factories, one per model, plus helpers for what a service must create.

`OrderFactory` builds a complete order by default: lines (quantities given as `lines=[2, 1]`),
one payment and one delivered fulfillment of every unit (`fulfillment="shipped"` for a parcel not
yet delivered, `fulfillment=None` for none).
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from retour.accounts.models import Membership
from retour.accounts.scopes import Role, Scope
from retour.accounts.services import create_api_key
from retour.commerce.models import (
    Customer,
    Fulfillment,
    FulfillmentLine,
    Order,
    OrderLine,
    Payment,
    Product,
    Store,
    Variant,
    Warehouse,
)
from retour.core.actors import Actor
from retour.returns.choices import Resolution, ReturnMethod, ReturnStatus
from retour.returns.models import Return, ReturnLine
from retour.returns.services import install_default_reasons

SYSTEM = Actor.system("tests")


class StoreFactory(DjangoModelFactory):
    class Meta:
        model = Store
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    currency = "EUR"
    country = "FR"
    default_locale = "en"
    locales = factory.LazyFunction(lambda: ["en", "fr"])

    @factory.post_generation
    def reasons(obj, create, extracted, **kwargs):  # noqa: N805 - the object built
        """The default reason catalogue, installed the way a new store gets it."""
        if create and extracted is not False:
            install_default_reasons(store=obj, actor=SYSTEM)


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.SubFactory(StoreFactory)
    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    external_id = factory.Sequence(lambda n: f"prod-{n}")
    title = factory.Sequence(lambda n: f"Product {n}")
    category = "apparel/shirts"


class VariantFactory(DjangoModelFactory):
    class Meta:
        model = Variant

    store = factory.SubFactory(StoreFactory)
    product = factory.SubFactory(ProductFactory, store=factory.SelfAttribute("..store"))
    external_id = factory.Sequence(lambda n: f"var-{n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("25.00")


class OrderLineFactory(DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = None  # required
    variant = factory.SubFactory(VariantFactory, store=factory.SelfAttribute("..order.store"))
    external_id = factory.Sequence(lambda n: f"line-{n}")
    sku = factory.SelfAttribute("variant.sku")
    title = factory.Sequence(lambda n: f"Item {n}")
    quantity = 1
    unit_price = Decimal("25.00")


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = Payment

    order = None  # required
    gateway = "stripe"
    reference = factory.Sequence(lambda n: f"pi_{n}")
    captured = factory.SelfAttribute("order.total")
    created_at = factory.LazyFunction(timezone.now)


class FulfillmentFactory(DjangoModelFactory):
    class Meta:
        model = Fulfillment

    order = None  # required
    external_id = factory.Sequence(lambda n: f"ful-{n}")
    carrier = "colissimo"
    tracking_number = factory.Sequence(lambda n: f"6A{n:010d}")
    shipped_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    delivered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))


class FulfillmentLineFactory(DjangoModelFactory):
    class Meta:
        model = FulfillmentLine

    fulfillment = None  # required
    order_line = None  # required
    quantity = 1


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    customer = factory.SubFactory(CustomerFactory, store=factory.SelfAttribute("..store"))
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    number = factory.Sequence(lambda n: f"{1000 + n}")
    email = factory.SelfAttribute("customer.email")
    currency = "EUR"
    locale = "en"
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    paid_at = factory.SelfAttribute("placed_at")
    shipping_address = factory.LazyFunction(
        lambda: {"line1": "1 rue de Rivoli", "postcode": "75001", "city": "Paris", "country": "FR"}
    )
    shipping_postcode = "75001"
    shipping_country = "FR"

    @factory.post_generation
    def lines(obj, create, extracted, **kwargs):  # noqa: N805 - the object built
        """`lines=[2, 1]`: one order line per quantity (default: one line of 2 units)."""
        quantities = [2] if extracted is None else list(extracted)
        built = [OrderLineFactory(order=obj, quantity=q, **kwargs) for q in quantities]
        subtotal = sum((line.unit_price * line.quantity for line in built), Decimal("0"))
        Order.objects.filter(pk=obj.pk).update(subtotal=subtotal, total=subtotal)
        obj.subtotal = obj.total = subtotal

    @factory.post_generation
    def payments(obj, create, extracted, **kwargs):  # noqa: N805 - the object built
        if extracted is not False:
            PaymentFactory(order=obj, **kwargs)

    @factory.post_generation
    def fulfillment(obj, create, extracted, **kwargs):  # noqa: N805 - the object built
        """One shipment of every unit: `fulfillment="delivered"` (the default) or "shipped" (sent,
        not yet delivered); `fulfillment=False` for no shipment at all."""
        state = "delivered" if extracted is None else extracted
        if not state:
            return
        if state == "shipped":
            kwargs.setdefault("delivered_at", None)
        fulfillment = FulfillmentFactory(order=obj, **kwargs)
        for line in obj.lines.all():
            FulfillmentLineFactory(fulfillment=fulfillment, order_line=line, quantity=line.quantity)


class WarehouseFactory(DjangoModelFactory):
    class Meta:
        model = Warehouse

    store = factory.SubFactory(StoreFactory)
    code = factory.Sequence(lambda n: f"wh-{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    address = factory.LazyFunction(lambda: {"line1": "2 quai de la Gare", "city": "Lyon"})
    country = "FR"
    is_default = True


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    # An unusable password: tests sign in with force_login, and hashing one costs 0.3 s.
    password = "!"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = Role.OWNER


def staff_user(store: Store, role: str = Role.OWNER, **kwargs):
    """A staff user with `role` in `store`."""
    return MembershipFactory(store=store, role=role, user=UserFactory(**kwargs)).user


def api_key(store: Store, scopes=None, name: str = "test key") -> str:
    """A new API key of `store` (all scopes by default); returns the raw secret."""
    _key, raw = create_api_key(
        store=store, name=name, scopes=Scope.values if scopes is None else scopes, actor=SYSTEM
    )
    return raw


class ReturnFactory(DjangoModelFactory):
    """A return put directly in any status, for tests of what happens *from* that status.
    Real returns are opened with `returns.services.create_return`."""

    class Meta:
        model = Return
        skip_postgeneration_save = True

    order = factory.SubFactory(OrderFactory)
    store = factory.SelfAttribute("order.store")
    customer = factory.SelfAttribute("order.customer")
    rma = factory.Sequence(lambda n: f"R-T{n:03d}-0000")
    status = ReturnStatus.REQUESTED
    method = ReturnMethod.DROP_OFF
    resolution = Resolution.REFUND

    @factory.post_generation
    def lines(obj, create, extracted, **kwargs):  # noqa: N805 - the object built
        """One return line per order line, for all its units (unless `lines=False`)."""
        if extracted is False:
            return
        for order_line in obj.order.lines.all():
            ReturnLine.objects.create(
                return_request=obj,
                order_line=order_line,
                quantity=order_line.quantity,
                resolution=obj.resolution,
            )
