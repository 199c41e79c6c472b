"""The store-credit wallet: a ledger per shopper, store and currency.

The balance is the sum of the entries. It changes only by `F()` updates while the account row is
locked (`select_for_update`), in the same transaction as the entry that explains it, and the
database refuses a negative balance (check constraint) should a bug ever try. Credits are spent
first-expiring-first, so that an expiry removes only what is left of the expired credit.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.models import Customer, Store
from retour.core.actors import Actor
from retour.core.codes import normalize_code, random_code
from retour.core.errors import Conflict, InvalidRequest, NotFound
from retour.core.money import ZERO, quantize
from retour.events.outbox import emit
from retour.refunds.choices import CreditEntryKind
from retour.refunds.models import Refund, StoreCreditAccount, StoreCreditEntry, money_plus


class InsufficientCredit(Conflict):
    code = "insufficient_credit"


def open_account(*, store: Store, customer: Customer, currency: str) -> StoreCreditAccount:
    """The shopper's account at the store, opened (with a fresh redemption code) if needed."""
    currency = currency.upper()
    for _attempt in range(5):
        found = StoreCreditAccount.objects.filter(
            store=store, customer=customer, currency=currency
        ).first()
        if found:
            return found
        try:
            with transaction.atomic():
                return StoreCreditAccount.objects.create(
                    store=store,
                    customer=customer,
                    currency=currency,
                    code=random_code("SC", groups=3),
                )
        except IntegrityError:
            continue  # another request opened it, or the code was drawn twice: look again
    raise RuntimeError("could not open a store-credit account")


def _payload(account: StoreCreditAccount, *, amount: Decimal, reference: str) -> dict:
    """The outbox payload of a wallet event: the shop's platform syncs the code and balance."""
    return {
        "store_credit": {
            "code": account.code,
            "currency": account.currency,
            "balance": str(account.balance),
            "change": str(amount),
            "reference": reference,
            "customer": {"id": account.customer_id, "email": account.customer.email},
        }
    }


def _locked(account_id: int) -> StoreCreditAccount:
    return StoreCreditAccount.objects.select_for_update().get(pk=account_id)


def _add(
    account: StoreCreditAccount,
    *,
    kind: str,
    amount: Decimal,
    actor: Actor,
    reason: str = "",
    reference: str = "",
    refund: Refund | None = None,
    expires_at: datetime | None = None,
) -> StoreCreditEntry:
    entry = StoreCreditEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        remaining=amount if amount > 0 else ZERO,
        reason=reason,
        reference=reference,
        refund=refund,
        expires_at=expires_at,
        actor_kind=actor.kind,
        actor_label=actor.label,
    )
    StoreCreditAccount.objects.filter(pk=account.pk).update(balance=money_plus("balance", amount))
    account.refresh_from_db(fields=["balance"])
    return entry


def _spend(account: StoreCreditAccount, amount: Decimal) -> None:
    """Take `amount` from the remaining parts of the credits, first-expiring-first."""
    left = amount
    credits = (
        account.entries.select_for_update()
        .filter(remaining__gt=0)
        .order_by(F("expires_at").asc(nulls_last=True), "id")
    )
    for credit in credits:
        take = min(credit.remaining, left)
        StoreCreditEntry.objects.filter(pk=credit.pk).update(
            remaining=money_plus("remaining", -take)
        )
        left -= take
        if left <= 0:
            break


@transaction.atomic
def issue_credit(
    *,
    store: Store,
    customer: Customer,
    currency: str,
    amount: Decimal,
    actor: Actor,
    reason: str = "",
    bonus: Decimal = ZERO,
    refund: Refund | None = None,
    expires_at: datetime | None = None,
) -> StoreCreditAccount:
    """Put money (and a bonus) on the shopper's account. A refund's credit is issued once: a
    second call for the same refund finds the first entry and changes nothing."""
    amount, bonus = quantize(amount, currency), quantize(bonus, currency)
    if amount <= 0 or bonus < 0:
        raise InvalidRequest(_("A credit must be a positive amount."))
    account = _locked(open_account(store=store, customer=customer, currency=currency).pk)
    if refund is not None and account.entries.filter(refund=refund).exists():
        return account
    _add(
        account,
        kind=CreditEntryKind.CREDIT,
        amount=amount,
        actor=actor,
        reason=reason,
        refund=refund,
        expires_at=expires_at,
        reference=refund.reference if refund else "",
    )
    if bonus > 0:
        _add(
            account,
            kind=CreditEntryKind.BONUS,
            amount=bonus,
            actor=actor,
            reason=_("Bonus for choosing store credit"),
            refund=refund,
            expires_at=expires_at,
            reference=refund.reference if refund else "",
        )
    record_audit(
        store=store,
        actor=actor,
        verb="store_credit.issued",
        obj=account,
        data={"amount": str(amount), "bonus": str(bonus), "refund": refund.pk if refund else None},
    )
    emit(
        "store_credit.issued",
        store_id=store.pk,
        payload=_payload(
            account, amount=amount + bonus, reference=refund.reference if refund else ""
        ),
    )
    return account


@transaction.atomic
def redeem_credit(
    *, store: Store, code: str, amount: Decimal, reference: str, actor: Actor
) -> StoreCreditEntry:
    """Spend credit at the shop (the shop's checkout calls this with its order reference).
    The same reference redeems once: a retried call gets the first debit back."""
    if not reference.strip():
        raise InvalidRequest(_("A redemption needs the shop's reference (e.g. the order number)."))
    found = StoreCreditAccount.objects.filter(store=store, code=normalize_code(code)).first()
    if found is None:
        raise NotFound(_("No store credit with this code."))
    account = _locked(found.pk)
    amount = quantize(amount, account.currency)
    if amount <= 0:
        raise InvalidRequest(_("Redeem a positive amount."))
    earlier = account.entries.filter(kind=CreditEntryKind.DEBIT, reference=reference).first()
    if earlier is not None:
        if -earlier.amount != amount:
            raise Conflict(_("This reference already redeemed a different amount."))
        return earlier
    if amount > account.balance:
        raise InsufficientCredit(
            _("Only %(balance)s %(currency)s of store credit is left.")
            % {"balance": account.balance, "currency": account.currency},
            balance=str(account.balance),
        )
    _spend(account, amount)
    entry = _add(
        account,
        kind=CreditEntryKind.DEBIT,
        amount=-amount,
        actor=actor,
        reason=_("Spent at the shop"),
        reference=reference,
    )
    record_audit(
        store=store,
        actor=actor,
        verb="store_credit.redeemed",
        obj=account,
        data={"amount": str(amount), "reference": reference, "balance": str(account.balance)},
    )
    emit(
        "store_credit.redeemed",
        store_id=store.pk,
        payload=_payload(account, amount=-amount, reference=reference),
    )
    return entry


def expire_credits(*, now: datetime | None = None, actor: Actor | None = None) -> int:
    """The scheduled job: remove what is left of every credit past its expiry date. Each account
    is one short transaction; running it twice expires nothing twice. Returns how many entries
    expired."""
    now = now or timezone.now()
    actor = actor or Actor.system("store-credit-expiry")
    account_ids: Iterable[int] = (
        StoreCreditEntry.objects.filter(expires_at__lte=now, remaining__gt=0)
        .values_list("account_id", flat=True)
        .distinct()
    )
    expired = 0
    for account_id in list(account_ids):
        with transaction.atomic():
            account = _locked(account_id)
            due = account.entries.select_for_update().filter(
                Q(expires_at__lte=now) & Q(remaining__gt=0)
            )
            for credit in due:
                StoreCreditEntry.objects.filter(pk=credit.pk).update(remaining=ZERO)
                _add(
                    account,
                    kind=CreditEntryKind.EXPIRY,
                    amount=-credit.remaining,
                    actor=actor,
                    reason=_("Expired"),
                    reference=f"expiry:{credit.pk}",
                )
                expired += 1
    return expired


def ledger_balance(account: StoreCreditAccount) -> Decimal:
    """The balance recomputed from the entries (equal to `account.balance`; tests check it)."""
    return sum(account.entries.values_list("amount", flat=True), ZERO)
