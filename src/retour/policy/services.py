"""Writes to a store's policy: publishing a version. A version is never edited — a change
publishes the next number — so a return keeps the rules it was decided under."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError

from retour.commerce.audit import record_audit
from retour.commerce.models import Store
from retour.core.actors import Actor
from retour.core.errors import InvalidRequest
from retour.policy.document import PolicyDocument
from retour.policy.law import law_for
from retour.policy.models import PolicyVersion
from retour.policy.selectors import current_version


class PolicyRefused(InvalidRequest):
    code = "policy_invalid"


def validate_document(document: dict[str, Any] | PolicyDocument) -> PolicyDocument:
    """The document as a model, or `PolicyRefused` listing every problem with its place."""
    if isinstance(document, PolicyDocument):
        return document
    try:
        return PolicyDocument.model_validate(document)
    except ValidationError as exc:
        errors = [
            {"loc": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
            for error in exc.errors()
        ]
        raise PolicyRefused(_("The policy is not valid."), errors=errors) from None


def check_against_law(document: PolicyDocument, country: str) -> None:
    """Refuse a setting below what the law of the store's country guarantees its shoppers.

    Only windows are refused: exclusions the law does not allow (final sale, gift cards) stay
    in the document for shoppers elsewhere, and the engine sets them aside inside the legal
    period for shoppers who have the right.
    """
    law = law_for(country)
    if not law.has_withdrawal:
        return
    floor = law.withdrawal_days
    too_short = []
    if document.window_days < floor:
        too_short.append(("window_days", document.window_days))
    for index, override in enumerate(document.overrides):
        short = override.window_days is not None and override.window_days < floor
        if short and override.returnable:
            too_short.append((f"overrides.{index}.window_days", override.window_days))
    if too_short:
        where, days = too_short[0]
        raise PolicyRefused(
            _(
                "A return window of %(days)d days is below the legal minimum of %(floor)d days "
                "from receipt of the goods for distance sales in the EU/EEA (%(citation)s)."
            )
            % {"days": days, "floor": floor, "citation": law.citation},
            field=where,
            floor=floor,
        )


@transaction.atomic
def publish_policy(
    *, store: Store, document: dict[str, Any] | PolicyDocument, actor: Actor
) -> PolicyVersion:
    """Validate `document` and publish it as the store's next version."""
    model = validate_document(document)
    check_against_law(model, store.country)
    # Lock the store row: two publications at once would both take the same number.
    Store.objects.select_for_update().filter(pk=store.pk).first()
    latest = current_version(store)
    number = (latest.number if latest else 0) + 1
    try:
        with transaction.atomic():
            version = PolicyVersion.objects.create(
                store=store,
                number=number,
                document=model.as_json(),
                created_by_id=actor.user_id,
            )
    except IntegrityError:
        raise PolicyRefused(_("Another version was published at the same time.")) from None
    record_audit(
        store=store,
        actor=actor,
        verb="policy.published",
        obj=version,
        data={"number": number, "rules": len(model.rules)},
    )
    return version
