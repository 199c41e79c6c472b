"""The refund calculation (pure): examples, then properties over random orders and returns."""

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from retour.core.money import from_minor_units
from retour.refunds.allocation import NotRefundable, PaymentBalance, split_over_payments
from retour.refunds.calculation import (
    Breakdown,
    CalculationError,
    Fee,
    LineInput,
    OrderInput,
    RefundInput,
    UnitsInput,
    calculate,
    explain_difference,
    line_totals,
    order_paid,
)
from retour.refunds.choices import ShippingRule

D = Decimal


def _order(**kwargs) -> OrderInput:
    defaults = {
        "currency": "EUR",
        "taxes_included": True,
        "lines": [
            LineInput(1, 2, D("30.00")),
            LineInput(2, 1, D("40.00")),
        ],
    }
    return OrderInput(**{**defaults, **kwargs})


def test_a_unit_is_refunded_at_the_price_paid_after_the_order_discount():
    # 100 of goods, 10 off the order: each line carries its share (6 and 4).
    order = _order(order_discount=D("10.00"))
    result = calculate(order, RefundInput(units=[UnitsInput(1, 1)]))
    (line,) = result.lines
    assert (line.gross, line.order_discount, line.paid) == (D("30.00"), D("3.00"), D("27.00"))
    assert result.total == D("27.00")


def test_tax_is_added_when_prices_exclude_it():
    order = _order(
        taxes_included=False,
        lines=[LineInput(1, 2, D("10.00"), discount=D("2.00"), tax=D("3.60"))],
    )
    result = calculate(order, RefundInput(units=[UnitsInput(1, 1)]))
    (line,) = result.lines
    assert (line.paid, line.tax, line.tax_included) == (D("10.80"), D("1.80"), False)


def test_tax_is_inside_the_price_when_prices_include_it():
    order = _order(lines=[LineInput(1, 1, D("12.00"), tax=D("2.00"))])
    (line,) = calculate(order, RefundInput(units=[UnitsInput(1, 1)])).lines
    assert (line.paid, line.tax, line.tax_included) == (D("12.00"), D("2.00"), True)


def test_three_single_refunds_of_a_line_add_up_to_what_was_paid():
    order = _order(lines=[LineInput(1, 3, D("10.00"))])
    amounts = [
        calculate(order, RefundInput(units=[UnitsInput(1, 1)], already_refunded={1: done})).total
        for done in range(3)
    ]
    assert amounts == [D("10.00")] * 3
    order = _order(lines=[LineInput(1, 3, D("10.00"), discount=D("0.01"))])
    amounts = [
        calculate(order, RefundInput(units=[UnitsInput(1, 1)], already_refunded={1: d})).total
        for d in range(3)
    ]
    assert amounts == [D("9.99"), D("10.00"), D("10.00")]  # floors; the last takes the rest


def test_shipping_is_refunded_when_the_whole_order_comes_back():
    order = _order(shipping=D("5.90"))
    rule = ShippingRule.WHOLE_ORDER
    partial = calculate(order, RefundInput(units=[UnitsInput(1, 2)], shipping_rule=rule))
    assert partial.shipping == 0
    rest = calculate(
        order,
        RefundInput(units=[UnitsInput(2, 1)], already_refunded={1: 2}, shipping_rule=rule),
    )
    assert rest.shipping == D("5.90")
    assert partial.total + rest.total == order_paid(order)


def test_shipping_is_refunded_at_most_once():
    order = _order(shipping=D("5.90"))
    again = calculate(
        order,
        RefundInput(
            units=[UnitsInput(1, 1)],
            shipping_rule=ShippingRule.MERCHANT_FAULT,
            merchant_fault=True,
            shipping_already_refunded=True,
        ),
    )
    assert again.shipping == 0


def test_fees_and_deductions_never_make_a_refund_negative():
    order = _order()
    result = calculate(
        order,
        RefundInput(
            units=[UnitsInput(1, 1, deduction=D("100"), deduction_reason="torn")],
            fees=[Fee("restocking", rate=D("0.1")), Fee("return_shipping", amount=D("4.00"))],
        ),
    )
    assert result.lines[0].deduction == D("30.00")
    assert result.total == 0


def test_the_store_credit_bonus_is_on_top_of_the_refund():
    result = calculate(
        _order(),
        RefundInput(
            units=[UnitsInput(2, 1)], to_store_credit=True, store_credit_bonus_rate=D("0.10")
        ),
    )
    assert (result.total, result.bonus) == (D("40.00"), D("4.00"))


def test_it_refuses_more_units_than_were_bought():
    with pytest.raises(CalculationError):
        calculate(_order(), RefundInput(units=[UnitsInput(1, 2)], already_refunded={1: 1}))


def test_the_shopper_is_told_why_the_final_amount_differs():
    order = _order()
    estimate = calculate(order, RefundInput(units=[UnitsInput(1, 2)]))
    final = calculate(
        order,
        RefundInput(
            units=[UnitsInput(1, 1, deduction=D("5.00"), deduction_reason="stained")],
            fees=[Fee("restocking", amount=D("2.00"))],
        ),
    )
    codes = [difference.code for difference in explain_difference(estimate, final)]
    assert codes == ["quantity", "inspection", "fees"]
    assert explain_difference(estimate, estimate) == []


def test_the_breakdown_survives_json():
    result = calculate(_order(shipping=D("3")), RefundInput(units=[UnitsInput(1, 1)]))
    assert Breakdown.from_json(result.as_json()) == result


# --- properties -----------------------------------------------------------------------------------

CURRENCIES = ["EUR", "JPY", "KWD", "USD"]


@st.composite
def orders(draw) -> OrderInput:
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.integers(1, 5))
    lines = []
    nets = []
    for index in range(count):
        quantity = draw(st.integers(1, 6))
        unit = draw(st.integers(0, 50_000))
        gross = unit * quantity
        discount = draw(st.integers(0, gross))
        tax = draw(st.integers(0, max(gross // 4, 0)))
        nets.append(gross - discount)
        lines.append(
            LineInput(
                line_id=index + 1,
                quantity=quantity,
                unit_price=from_minor_units(unit, currency),
                discount=from_minor_units(discount, currency),
                tax=from_minor_units(tax, currency),
            )
        )
    order_discount = draw(st.integers(0, sum(nets)))
    return OrderInput(
        currency=currency,
        taxes_included=draw(st.booleans()),
        lines=lines,
        order_discount=from_minor_units(order_discount, currency),
        shipping=from_minor_units(draw(st.integers(0, 3_000)), currency),
    )


@st.composite
def refund_plans(draw, order: OrderInput, everything: bool) -> list[dict[int, int]]:
    """Successive refunds: each takes some of the units not refunded yet. With `everything`,
    the plan ends with every unit refunded."""
    left = {line.line_id: line.quantity for line in order.lines}
    plan = []
    for _step in range(draw(st.integers(1, 4))):
        step = {}
        for line_id, units in left.items():
            take = draw(st.integers(0, units))
            if take:
                step[line_id] = take
        if step:
            plan.append(step)
            for line_id, take in step.items():
                left[line_id] -= take
    if everything and any(left.values()):
        plan.append({line_id: units for line_id, units in left.items() if units})
    return plan


def _run(order, plan, **extra) -> list:
    done: dict[int, int] = {}
    shipping_done = False
    results = []
    for step in plan:
        result = calculate(
            order,
            RefundInput(
                units=[UnitsInput(line_id, units) for line_id, units in step.items()],
                already_refunded=dict(done),
                shipping_already_refunded=shipping_done,
                **extra,
            ),
        )
        results.append(result)
        shipping_done = shipping_done or result.shipping > 0
        for line_id, units in step.items():
            done[line_id] = done.get(line_id, 0) + units
    return results


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_returning_every_unit_without_fees_refunds_exactly_what_was_paid(data):
    order = data.draw(orders())
    plan = data.draw(refund_plans(order, everything=True))
    results = _run(order, plan, shipping_rule=ShippingRule.WHOLE_ORDER)
    assert sum(result.total for result in results) == order_paid(order)
    assert sum(result.shipping for result in results) == order.shipping
    assert sum(1 for result in results if result.shipping) <= 1
    paid = line_totals(order)
    for line in order.lines:
        refunded = sum(
            part.amount
            for result in results
            for part in result.lines
            if part.line_id == line.line_id
        )
        assert refunded == paid[line.line_id]["paid"]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_refunds_never_exceed_what_was_paid_per_line_and_in_total(data):
    order = data.draw(orders())
    plan = data.draw(refund_plans(order, everything=data.draw(st.booleans())))
    fees = [
        Fee("restocking", rate=D(data.draw(st.sampled_from(["0", "0.1", "0.15"])))),
        Fee("return_shipping", amount=from_minor_units(data.draw(st.integers(0, 900)), "EUR")),
    ]
    rule = data.draw(st.sampled_from(list(ShippingRule)))
    results = _run(
        order, plan, fees=fees, shipping_rule=rule, merchant_fault=data.draw(st.booleans())
    )
    paid = line_totals(order)
    for line in order.lines:
        refunded = sum(
            part.amount
            for result in results
            for part in result.lines
            if part.line_id == line.line_id
        )
        assert 0 <= refunded <= paid[line.line_id]["paid"]
    assert all(result.total >= 0 for result in results)
    assert sum(result.total for result in results) <= order_paid(order)
    assert sum(1 for result in results if result.shipping) <= 1
    for result in results:
        assert result.total == result.items + result.shipping - result.fees_total
        for part in result.lines:
            assert part.amount >= 0
            expected = part.gross - part.line_discount - part.order_discount
            if not part.tax_included:
                expected += part.tax
            assert expected == part.paid  # the itemised parts add up to what was paid


@st.composite
def payment_splits(draw, total_units: int) -> list[tuple[str, int]]:
    """Split what the order cost over 1–3 payments, some of them gift cards."""
    count = draw(st.integers(1, 3))
    cuts = sorted(
        draw(st.lists(st.integers(0, total_units), min_size=count - 1, max_size=count - 1))
    )
    bounds = [0, *cuts, total_units]
    methods = draw(
        st.lists(st.sampled_from(["card", "gift_card", "paypal"]), min_size=count, max_size=count)
    )
    return [(methods[i], bounds[i + 1] - bounds[i]) for i in range(count)]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_refunds_never_exceed_any_payment(data):
    order = data.draw(orders())
    currency = order.currency
    paid = order_paid(order)
    from retour.core.money import to_minor_units

    split = data.draw(payment_splits(to_minor_units(paid, currency)))
    refunded = [D(0)] * len(split)
    gift_first = data.draw(st.booleans())
    plan = data.draw(refund_plans(order, everything=True))
    for result in _run(order, plan, shipping_rule=ShippingRule.WHOLE_ORDER):
        balances = [
            PaymentBalance(i, method, from_minor_units(units, currency), refunded[i])
            for i, (method, units) in enumerate(split)
        ]
        parts = split_over_payments(result.total, balances, currency, gift_card_first=gift_first)
        assert sum(amount for _pid, amount in parts) == result.total
        for payment_id, amount in parts:
            assert amount > 0
            refunded[payment_id] += amount
    for i, (_method, units) in enumerate(split):
        assert refunded[i] == from_minor_units(units, currency)  # everything back, no more
    balances = [
        PaymentBalance(i, m, from_minor_units(u, currency), refunded[i])
        for i, (m, u) in enumerate(split)
    ]
    assume(paid > 0)
    with pytest.raises(NotRefundable):
        split_over_payments(from_minor_units(1, currency), balances, currency)


def test_gift_cards_are_refunded_first_or_last_by_setting():
    balances = [
        PaymentBalance(1, "card", D("60"), D("0")),
        PaymentBalance(2, "gift_card", D("40"), D("0")),
    ]
    assert split_over_payments(D("50"), balances, "EUR", gift_card_first=True) == [
        (2, D("40.00")),
        (1, D("10.00")),
    ]
    assert split_over_payments(D("50"), balances, "EUR", gift_card_first=False) == [(1, D("50.00"))]


def test_pending_refunds_count_against_a_payment():
    balances = [PaymentBalance(1, "card", D("60"), D("20"), pending=D("30"))]
    with pytest.raises(NotRefundable):
        split_over_payments(D("10.01"), balances, "EUR")
    assert split_over_payments(D("10"), balances, "EUR") == [(1, D("10.00"))]
