"""The manual gateway: finance gives the money back outside Retour (bank transfer, cash, the
shop's own back office) and records the refund's reference by hand
(`services.record_manual_refund`). Until then the refund stays pending and counts against the
payment."""

from decimal import Decimal

from retour.refunds.adapters.base import GatewayRefund, GatewayStatus


class ManualGateway:
    name = "manual"
    automatic = False

    def create_refund(
        self, *, payment_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayRefund:
        return GatewayRefund(reference="", status=GatewayStatus.PENDING, amount=amount)

    def retrieve_refund(self, reference: str) -> GatewayRefund:
        return GatewayRefund(reference=reference, status=GatewayStatus.PENDING)
