"""The law on destroying unsold goods, as data: which rule forbids destroying which unit, and the
derogations each rule lists. Nothing here reads the database.

Two rules apply to returned goods today:

- France, anti-waste law (AGEC): Loi n° 2020-105 du 10 février 2020, art. 35, codified in the
  Code de l'environnement, art. L541-15-8. Producers, importers and distributors must reuse
  (including donation) or recycle their unsold *non-food* products; eliminating them is
  forbidden except in the cases the article and Décret n° 2020-1724 list. Retour treats a return
  that cannot be sold again as an unsold product of the store, which is the cautious reading.
- EU ecodesign regulation (ESPR): Regulation (EU) 2024/1781, art. 25 and Annex VII: destroying
  unsold apparel, clothing accessories and footwear is forbidden for large enterprises from
  19 July 2026 (medium-sized: 19 July 2030; micro and small enterprises are exempt). "Unsold"
  includes products returned under the right of withdrawal (art. 2), and "destruction" is any
  discarding as waste except for preparing for re-use (art. 2): recycling counts. Art. 25(5)
  lets the Commission's delegated act set the derogations; art. 24 requires the yearly
  disclosure of what was discarded (`reports.disclosure_csv`).

Keep this module in step with the texts: each rule carries its citation, shown to the operator
when a disposition is refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from retour.warehouse.choices import Disposition, EnterpriseSize


@dataclass(frozen=True)
class Derogation:
    code: str
    label: object  # a lazy translated string
    citation: str


@dataclass(frozen=True)
class DestructionBan:
    """`dispositions` are forbidden for goods of `categories` (prefixes; empty: all goods but
    `excluded_categories`) in `countries` (empty: everywhere the regulation applies, i.e. the
    EEA), for enterprises of `sizes`, from the date each size is given, unless one of
    `derogations` applies."""

    code: str
    title: object
    citation: str
    dispositions: frozenset[str]
    sizes: dict[str, date]
    derogations: tuple[Derogation, ...]
    countries: frozenset[str] = frozenset()
    categories: tuple[str, ...] = ()
    excluded_categories: tuple[str, ...] = ()

    def applies(self, *, country: str, category: str, size: str, on: date) -> bool:
        since = self.sizes.get(size)
        if since is None or on < since:
            return False
        if self.countries and country.upper() not in self.countries:
            return False
        if self.countries == frozenset() and country.upper() not in EEA:
            return False
        if self.categories and not _matches(category, self.categories):
            return False
        return not _matches(category, self.excluded_categories)


def _matches(category: str, prefixes: Iterable[str]) -> bool:
    category = category.strip().lower()
    return any(category == p or category.startswith(p + "/") for p in prefixes)


# fmt: off
EEA = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    "IS", "LI", "NO",
})
# fmt: on

# Categories (prefixes of `Product.category`) that Annex VII of the ESPR covers.
APPAREL_AND_FOOTWEAR = ("apparel", "clothing", "footwear", "shoes", "accessories/clothing")
FOOD = ("food", "grocery", "beverages")

AGEC = DestructionBan(
    code="fr_agec",
    title=_("French anti-waste law (AGEC): unsold non-food products may not be destroyed"),
    citation="Loi n° 2020-105 (AGEC), art. 35; Code de l'environnement, art. L541-15-8",
    dispositions=frozenset({Disposition.DESTROY}),
    # Every size: the article makes no exception (it applies since 1 January 2022).
    sizes={size: date(2022, 1, 1) for size in EnterpriseSize.values},
    countries=frozenset({"FR"}),
    excluded_categories=FOOD,
    derogations=(
        Derogation(
            "fr_recovery_forbidden",
            _("Material recovery of this product is forbidden"),
            "Code de l'environnement, art. L541-15-8 I",
        ),
        Derogation(
            "fr_disposal_prescribed",
            _("Disposal is prescribed (e.g. a product recall)"),
            "Code de l'environnement, art. L541-15-8 I",
        ),
        Derogation(
            "fr_health_safety",
            _("Reuse or recycling would pose a serious risk to health or safety"),
            "Code de l'environnement, art. L541-15-8 I",
        ),
        Derogation(
            "fr_no_recycling_channel",
            _("No recycling technique is available for this product"),
            "Décret n° 2020-1724, art. R541-321",
        ),
    ),
)

ESPR = DestructionBan(
    code="eu_espr",
    title=_("EU ecodesign regulation (ESPR): unsold apparel and footwear may not be destroyed"),
    citation="Regulation (EU) 2024/1781 (ESPR), art. 25 and Annex VII",
    dispositions=frozenset({Disposition.DESTROY, Disposition.RECYCLE}),
    sizes={EnterpriseSize.LARGE: date(2026, 7, 19), EnterpriseSize.MEDIUM: date(2030, 7, 19)},
    categories=APPAREL_AND_FOOTWEAR,
    derogations=(
        Derogation(
            "eu_health_safety",
            _("Health, hygiene or safety reasons"),
            "ESPR art. 25(5)(a)",
        ),
        Derogation(
            "eu_damage_not_repairable",
            _("Damage that cannot be repaired at a reasonable cost"),
            "ESPR art. 25(5)(b)",
        ),
        Derogation(
            "eu_unfit_for_purpose",
            _("Unfit for its intended purpose"),
            "ESPR art. 25(5)(c)",
        ),
        Derogation(
            "eu_donation_refused",
            _("Offered for donation and not accepted"),
            "ESPR art. 25(5)(d)",
        ),
        Derogation(
            "eu_unsuitable_for_reuse",
            _("Unsuitable for preparing for re-use or remanufacturing"),
            "ESPR art. 25(5)(e)",
        ),
        Derogation(
            "eu_intellectual_property",
            _("Unsaleable because it infringes intellectual property (e.g. counterfeit)"),
            "ESPR art. 25(5)(f)",
        ),
        Derogation(
            "eu_least_environmental_impact",
            _("Destruction is the option with the least negative environmental impact"),
            "ESPR art. 25(5)(g)",
        ),
    ),
)

BANS: tuple[DestructionBan, ...] = (AGEC, ESPR)
DISCLOSURE_CITATION = "Regulation (EU) 2024/1781 (ESPR), art. 24"


def derogation_labels() -> dict[str, str]:
    return {d.code: str(d.label) for ban in BANS for d in ban.derogations}


@dataclass(frozen=True)
class Verdict:
    """What the law says of a disposition: the `bans` that apply to it; `allowed` if none does,
    or if the derogations given include one that each of those bans accepts (a French store's
    apparel needs one reason under AGEC and one under ESPR)."""

    bans: tuple[DestructionBan, ...]
    allowed: bool
    derogations: tuple[str, ...] = ()

    @property
    def citations(self) -> str:
        return "; ".join(ban.citation for ban in self.bans)

    def missing(self) -> list[DestructionBan]:
        """The bans for which no accepted derogation was given."""
        given = set(self.derogations)
        return [ban for ban in self.bans if not given & {d.code for d in ban.derogations}]


def judge(
    disposition: str,
    *,
    country: str,
    category: str,
    size: str,
    on: date,
    derogations: Iterable[str] = (),
) -> Verdict:
    bans = tuple(
        ban
        for ban in BANS
        if disposition in ban.dispositions
        and ban.applies(country=country, category=category, size=size, on=on)
    )
    given = tuple(code for code in derogations if code)
    verdict = Verdict(bans=bans, allowed=True, derogations=given)
    if bans and verdict.missing():
        return Verdict(bans=bans, allowed=False, derogations=given)
    # Keep only the derogations that answer a ban: they are what the disclosure reports.
    accepted = {d.code for ban in bans for d in ban.derogations}
    return Verdict(bans=bans, allowed=True, derogations=tuple(c for c in given if c in accepted))
