"""Why a decision was made, as message ids with parameters, rendered in the reader's language.

The engine returns `Message(id, params)`; the text is only chosen when shown (`render`), so a
decision stored on a return reads in French for a French shopper and in English for staff.
Parameters are JSON-friendly (dates as ISO strings) so a decision can be stored as it was.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from django.utils import translation
from django.utils.translation import gettext_noop

from retour.core.money import format_money

TEXTS: dict[str, str] = {
    "eligible": gettext_noop("This item can be returned until %(deadline)s."),
    "window_closed": gettext_noop("The return period for this item ended on %(deadline)s."),
    "not_delivered": gettext_noop("This item has not been delivered yet."),
    "nothing_left": gettext_noop("Every unit of this item is already returned or claimed."),
    "excluded": gettext_noop("%(kind)s cannot be returned."),
    "not_returnable": gettext_noop("This product cannot be returned under the shop's policy."),
    "withdrawal": gettext_noop(
        "You may withdraw from this purchase until %(deadline)s (%(citation)s): "
        "you are refunded, including the standard delivery cost."
    ),
    "withdrawal_overrides": gettext_noop(
        "The shop's rules are set aside for this item: the legal right of withdrawal applies "
        "until %(deadline)s."
    ),
    "legal_exception": gettext_noop(
        "%(kind)s are an exception to the legal right of withdrawal (Directive 2011/83/EU, "
        "art. 16)."
    ),
    "conformity": gettext_noop(
        "The legal guarantee of conformity applies until %(deadline)s: the shop repairs, "
        "replaces or refunds a faulty item at no cost to you."
    ),
    "condition": gettext_noop("Return it %(condition)s."),
    "sealed_required": gettext_noop("Return it in its sealed packaging."),
    "photos_required": gettext_noop("Add photos of the item."),
    "comment_required": gettext_noop("Tell us more in a comment."),
    "returnless": gettext_noop("Keep the item: you do not need to send it back."),
    "review": gettext_noop("The shop will review this return before approving it."),
    "rejected": gettext_noop("%(message)s"),
    "restocking_fee": gettext_noop("A restocking fee of %(amount)s applies."),
    "shipping_fee": gettext_noop("Return shipping costs %(amount)s."),
    "bonus": gettext_noop("Choose store credit and get %(percent)s%% extra."),
    "resolution_not_allowed": gettext_noop("%(resolution)s is not available for this item."),
    "method_not_allowed": gettext_noop("%(method)s is not available for this return."),
    "quantity_exceeded": gettext_noop("Only %(available)s units of this item can be returned."),
}

CONDITION_TEXTS: dict[str, str] = {
    "unworn": gettext_noop("unworn and unwashed"),
    "tags_on": gettext_noop("with its tags on"),
    "original_packaging": gettext_noop("in its original packaging"),
    "unused": gettext_noop("unused"),
    "sealed": gettext_noop("sealed"),
}


@dataclass(frozen=True)
class Message:
    id: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "params": self.params}


def _param(value: Any, language: str) -> Any:
    """Dates and label ids are shown in the reader's language."""
    if isinstance(value, dict) and "date" in value:
        return format_date(date.fromisoformat(value["date"]), format="long", locale=language)
    if isinstance(value, dict) and "money" in value:
        return format_money(Decimal(value["money"]), value["currency"], language)
    if isinstance(value, dict) and "text" in value:
        return translation.gettext(value["text"])
    if isinstance(value, dict) and language in value:
        return value[language]
    if isinstance(value, dict):
        return value.get("en") or next(iter(value.values()), "")
    return value


def render(message: Message | dict, language: str | None = None) -> str:
    """The message in `language` (default: the active language)."""
    if isinstance(message, dict):
        message = Message(message["id"], message.get("params", {}))
    language = (language or translation.get_language() or "en")[:2]
    with translation.override(language):
        params = {key: _param(value, language) for key, value in message.params.items()}
        return translation.gettext(TEXTS[message.id]) % params


def date_param(moment: datetime | date) -> dict[str, str]:
    """A date parameter, shown in the reader's language (in the store's time zone: the caller
    passes a local datetime)."""
    return {"date": (moment.date() if isinstance(moment, datetime) else moment).isoformat()}


def text_param(source: str) -> dict[str, str]:
    """A parameter that is itself a translatable text (a gettext_noop'd string)."""
    return {"text": str(source)}


def money_param(amount: Decimal, currency: str) -> dict[str, str]:
    """An amount, formatted in the reader's language when shown."""
    return {"money": str(amount), "currency": currency}
