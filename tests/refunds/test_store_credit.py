"""The store-credit ledger: the balance is the sum of the entries and never negative."""

import contextlib
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from retour.core.errors import InvalidRequest, NotFound
from retour.refunds import credit
from retour.refunds.choices import CreditEntryKind
from retour.refunds.models import StoreCreditAccount, StoreCreditEntry
from tests.factories import CustomerFactory
from tests.refunds.helpers import SYSTEM

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(store_a):
    return CustomerFactory(store=store_a)


def _issue(store, customer, amount, **kwargs):
    return credit.issue_credit(
        store=store, customer=customer, currency="EUR", amount=D(amount), actor=SYSTEM, **kwargs
    )


def test_an_account_has_a_code_and_a_balance_equal_to_its_entries(store_a, customer):
    account = _issue(store_a, customer, "30.00", bonus=D("3.00"))
    assert account.code.startswith("SC-")
    assert account.balance == credit.ledger_balance(account) == D("33.00")
    kinds = list(account.entries.values_list("kind", flat=True))
    assert kinds == [CreditEntryKind.CREDIT, CreditEntryKind.BONUS]


def test_redeeming_spends_the_credit_once_per_reference(store_a, customer):
    account = _issue(store_a, customer, "30.00")
    credit.redeem_credit(
        store=store_a, code=account.code.lower(), amount=D("12.50"), reference="#1001", actor=SYSTEM
    )
    credit.redeem_credit(
        store=store_a, code=account.code, amount=D("12.50"), reference="#1001", actor=SYSTEM
    )
    account.refresh_from_db()
    assert account.balance == credit.ledger_balance(account) == D("17.50")


def test_it_refuses_to_spend_more_than_the_balance(store_a, customer):
    account = _issue(store_a, customer, "10.00")
    with pytest.raises(credit.InsufficientCredit):
        credit.redeem_credit(
            store=store_a, code=account.code, amount=D("10.01"), reference="#1", actor=SYSTEM
        )
    account.refresh_from_db()
    assert account.balance == D("10.00")


def test_the_database_refuses_a_negative_balance(store_a, customer):
    account = _issue(store_a, customer, "10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditAccount.objects.filter(pk=account.pk).update(balance=F("balance") - D("11"))


def test_a_code_of_another_store_is_unknown(store_a, store_b, customer):
    account = _issue(store_a, customer, "10.00")
    with pytest.raises(NotFound):
        credit.redeem_credit(
            store=store_b, code=account.code, amount=D("1"), reference="#1", actor=SYSTEM
        )


def test_a_credit_must_be_positive(store_a, customer):
    with pytest.raises(InvalidRequest):
        _issue(store_a, customer, "0")


def test_expiry_removes_only_what_is_left_of_the_expired_credit(store_a, customer):
    now = timezone.now()
    account = _issue(store_a, customer, "20.00", expires_at=now + timedelta(days=1))
    _issue(store_a, customer, "15.00", expires_at=now + timedelta(days=30))
    credit.redeem_credit(
        store=store_a, code=account.code, amount=D("5.00"), reference="#1", actor=SYSTEM
    )
    assert credit.expire_credits(now=now + timedelta(days=2)) == 1
    assert credit.expire_credits(now=now + timedelta(days=2)) == 0  # never twice
    account.refresh_from_db()
    # 20 − 5 spent first from the credit expiring first; its 15 left expired; 15 remain.
    assert account.balance == credit.ledger_balance(account) == D("15.00")


@pytest.mark.parametrize("seed", range(8))
def test_random_operations_keep_balance_equal_to_the_ledger_and_never_negative(
    store_a, customer, seed
):
    rng = random.Random(seed)
    now = timezone.now()
    account = _issue(store_a, customer, "1.00")
    for step in range(40):
        action = rng.choice(["issue", "redeem", "redeem", "expire"])
        if action == "issue":
            _issue(
                store_a,
                customer,
                f"{rng.randint(1, 5000) / 100:.2f}",
                bonus=D(rng.choice(["0", "1.00"])),
                expires_at=now + timedelta(days=rng.randint(1, 10)),
            )
        elif action == "redeem":
            amount = D(f"{rng.randint(1, 6000) / 100:.2f}")
            with contextlib.suppress(credit.InsufficientCredit):
                credit.redeem_credit(
                    store=store_a,
                    code=account.code,
                    amount=amount,
                    reference=f"#{step}",
                    actor=SYSTEM,
                )
        else:
            credit.expire_credits(now=now + timedelta(days=rng.randint(0, 12)))
        account.refresh_from_db()
        assert account.balance == credit.ledger_balance(account)
        assert account.balance >= 0
        remaining = sum(account.entries.values_list("remaining", flat=True), D(0))
        assert remaining == account.balance  # what is left of the credits is the balance
    assert StoreCreditEntry.objects.filter(remaining__lt=0).count() == 0
