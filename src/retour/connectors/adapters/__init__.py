"""Shop platform connectors, one module per platform behind `base.Connector`.

Adding a platform: write `adapters/<name>.py` with a class implementing `Connector` (verify the
webhook's signature over the raw body, tell the platform's unsigned ping from an event, name the
event's delivery id and the order's update time, map the platform's order to
`commerce.inputs.OrderIn` exactly, build the refund/restock/credit requests the platform
documents — or raise `Skipped` saying why it has nothing to take one — and send them with our
idempotency key where it accepts one, or look for an earlier try's result where it does not),
add its name to `choices.Platform` and to `CONNECTORS` below, and test it against a local HTTP
server answering the platform's documented payloads (tests/connectors/). A platform that exports
the whole history in bulk also implements `base.Exporter` and sets `exports_in_bulk = True`: its
first backfill then goes through the export (`services.bulk_backfill_step`).
"""

from retour.connectors.adapters.base import Connector, ConnectorError, InvalidSignature
from retour.connectors.adapters.prestashop import PrestaShopConnector
from retour.connectors.adapters.shopify import ShopifyConnector
from retour.connectors.adapters.woocommerce import WooCommerceConnector

CONNECTORS: dict[str, type] = {
    "shopify": ShopifyConnector,
    "woocommerce": WooCommerceConnector,
    "prestashop": PrestaShopConnector,
}

__all__ = ["CONNECTORS", "Connector", "ConnectorError", "InvalidSignature", "connector_for"]


def connector_for(connection) -> Connector:
    """The connector of a `models.Connection`, with its decrypted credentials."""
    return CONNECTORS[connection.platform](
        base_url=connection.base_url,
        credentials=connection.credentials,
        options=connection.options,
    )
