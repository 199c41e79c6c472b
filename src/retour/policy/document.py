"""The policy document: everything a store decides about returns, as validated data.

A `PolicyVersion.document` holds it as JSON; `PolicyDocument.model_validate` checks it when it is
published (`policy.services.publish_policy`) and when it is read back. The public policy page,
the flowchart and the engine all read this one structure, so what the shopper is told is what
the engine decides.
"""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from retour.policy.law import Exclusion
from retour.policy.rules import Amount, Method, Resolution, Rule, _Strict, check_unique_ids

Percent = Annotated[Decimal, Field(ge=0, le=100)]
ConditionCode = Literal["unworn", "tags_on", "original_packaging", "unused", "sealed"]
ExclusionKind = Literal["final_sale", "gift_card", "personalised", "unsealed_hygiene", "perishable"]


class Fee(_Strict):
    """A fee per returned line: `percent` of its value plus `flat`, possibly waived when the
    shopper takes an exchange or store credit instead of money back."""

    percent: Percent = Decimal("0")
    flat: Amount = Decimal("0")
    waived_for_exchange: bool = False
    waived_for_store_credit: bool = False

    def applies(self, resolution: str | None) -> bool:
        if resolution == "exchange" and self.waived_for_exchange:
            return False
        return not (resolution == "store_credit" and self.waived_for_store_credit)

    def amount(self, value: Decimal, resolution: str | None) -> Decimal:
        if not self.applies(resolution):
            return Decimal("0")
        return value * self.percent / 100 + self.flat

    @property
    def is_free(self) -> bool:
        return not self.percent and not self.flat


class Override(_Strict):
    """Settings for one product or one category (a prefix: 'apparel' covers 'apparel/shoes').
    The most specific override wins: a product's, then the longest matching category."""

    category: str = ""
    product: str = Field("", description="the product's external id or a SKU")
    returnable: bool = True
    window_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    conditions: list[ConditionCode] | None = None
    resolutions: list[Resolution] | None = None
    restocking_fee: Fee | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "Override":
        if bool(self.product) == bool(self.category):
            raise ValueError("an override names either a category or a product")
        return self


class ExclusionMatch(_Strict):
    """Which products are of an excluded kind: by tag, by category prefix; `final_sale` also
    covers every product the shop flags as final sale."""

    kind: ExclusionKind
    tags: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)


def default_exclusions() -> list[ExclusionMatch]:
    return [
        ExclusionMatch(kind=Exclusion.FINAL_SALE, tags=["final-sale"]),
        ExclusionMatch(kind=Exclusion.GIFT_CARD, tags=["gift-card"], categories=["gift-cards"]),
        ExclusionMatch(kind=Exclusion.PERSONALISED, tags=["personalised", "personalized"]),
        ExclusionMatch(kind=Exclusion.UNSEALED_HYGIENE, tags=["hygiene"]),
        ExclusionMatch(kind=Exclusion.PERISHABLE, tags=["perishable"], categories=["food"]),
    ]


class PolicyDocument(_Strict):
    window_days: Annotated[int, Field(ge=0, le=3650)] = 30
    transit_allowance_days: Annotated[int, Field(ge=0, le=60)] = Field(
        3, description="without a delivery date, the window starts this long after shipment"
    )
    overrides: list[Override] = Field(default_factory=list)
    exclusions: list[ExclusionMatch] = Field(default_factory=default_exclusions)
    conditions: list[ConditionCode] = Field(
        default_factory=lambda: ["unused", "tags_on", "original_packaging"]
    )
    resolutions: list[Resolution] = Field(
        default_factory=lambda: ["refund", "store_credit", "exchange"]
    )
    resolutions_by_reason: dict[str, list[Resolution]] = Field(default_factory=dict)
    methods: list[Method] = Field(default_factory=lambda: ["drop_off", "mail"])
    methods_by_country: dict[str, list[Method]] = Field(default_factory=dict)
    restocking_fee: Fee = Field(default_factory=Fee)
    shipping_fees: dict[Method, Fee] = Field(
        default_factory=dict, description="per return method; merchant-fault reasons ship free"
    )
    label_costs: dict[Method, Amount] = Field(
        default_factory=dict, description="what a label costs the shop, for returnless rules"
    )
    store_credit_bonus_percent: Percent = Decimal("0")
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("rules")
    @classmethod
    def _unique_rule_ids(cls, rules: list[Rule]) -> list[Rule]:
        return check_unique_ids(rules)

    @field_validator("methods_by_country")
    @classmethod
    def _country_codes(cls, value: dict[str, list]) -> dict[str, list]:
        return {country.upper(): methods for country, methods in value.items()}

    def as_json(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)


DEFAULT_DOCUMENT = PolicyDocument()
