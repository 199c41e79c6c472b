"""The values of receiving, inspection and disposition, each with what it means."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    """What inspection decides for one unit's refund."""

    FULL = "full", _("Full refund")  # the unit is accepted as sent
    PARTIAL = "partial", _("Partial refund")  # accepted, with a deduction the policy allows
    REFUSED = "refused", _("Refused")  # not accepted: no refund for this unit, with the reason


class Disposition(models.TextChoices):
    """What happens to an inspected unit. Restocking is always an explicit decision per unit."""

    RESTOCK = "restock", _("Restock as the same SKU")
    RESTOCK_GRADED = "restock_graded", _("Restock as a graded SKU")  # e.g. SKU-B, its own price
    REFURBISH = "refurbish", _("Refurbish")
    RETURN_TO_VENDOR = "return_to_vendor", _("Return to vendor")
    LIQUIDATE = "liquidate", _("Liquidate")
    DONATE = "donate", _("Donate")
    RECYCLE = "recycle", _("Recycle")
    DESTROY = "destroy", _("Destroy")  # only where the law allows it (law.py)


# Dispositions that put the unit back in sellable stock.
RESTOCKING = frozenset({Disposition.RESTOCK, Disposition.RESTOCK_GRADED})
# Dispositions by which the unsold product is discarded, in the sense of ESPR art. 24: they are
# listed in the yearly disclosure.
DISCARDING = frozenset({Disposition.RECYCLE, Disposition.DESTROY})


class DiscrepancyKind(models.TextChoices):
    MISSING = "missing", _("Missing item")  # announced, not in the parcel
    EXTRA = "extra", _("Extra item")  # in the parcel, a product of the order but not announced
    WRONG_ITEM = "wrong_item", _("Wrong item")  # in the parcel, not a product of this return


class EnterpriseSize(models.TextChoices):
    """The size of the merchant in the sense of Directive 2013/34/EU: ESPR bans apply by size."""

    MICRO = "micro", _("Micro enterprise")
    SMALL = "small", _("Small enterprise")
    MEDIUM = "medium", _("Medium-sized enterprise")
    LARGE = "large", _("Large enterprise")


# A store with no grade scale of its own gets this one: (code, English, French, sellable,
# outcome, largest deduction as a share of the unit's paid price, price of its graded SKU as a
# share of the original price).
DEFAULT_GRADES = (
    ("A", "As new", "Comme neuf", True, Outcome.FULL, "0", "1"),
    ("B", "Open box", "Déballé", True, Outcome.FULL, "0", "0.85"),
    ("C", "Damaged", "Abîmé", False, Outcome.PARTIAL, "0.5", "0.6"),
    ("D", "Unsellable", "Invendable", False, Outcome.REFUSED, "1", "0"),
)

# And these disposition rules: (grade, category prefix, disposition); first match wins.
DEFAULT_RULES = (
    ("A", "", Disposition.RESTOCK),
    ("B", "", Disposition.RESTOCK_GRADED),
    ("C", "electronics", Disposition.REFURBISH),
    ("C", "", Disposition.LIQUIDATE),
    ("D", "", Disposition.RECYCLE),
)

# And these checklists, per category prefix (the longest matching prefix wins; "" for any):
# item code → (English, French).
DEFAULT_CHECKLISTS: dict[str, dict[str, tuple[str, str]]] = {
    "": {
        "original_packaging": ("Original packaging", "Emballage d'origine"),
        "signs_of_wear": ("Signs of wear", "Traces d'usure"),
    },
    "apparel": {
        "tags_on": ("Tags on", "Étiquettes présentes"),
        "original_packaging": ("Original packaging", "Emballage d'origine"),
        "signs_of_wear": ("Signs of wear", "Traces d'usure"),
    },
    "electronics": {
        "serial_matches": ("Serial number matches", "Numéro de série conforme"),
        "original_packaging": ("Original packaging", "Emballage d'origine"),
        "accessories_complete": ("Accessories complete", "Accessoires complets"),
    },
}
