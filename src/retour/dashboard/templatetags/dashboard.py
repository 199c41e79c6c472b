from django import template

from retour.dashboard.access import owned_store_ids

register = template.Library()


@register.simple_tag(takes_context=True)
def owns_a_store(context) -> bool:
    """Whether the signed-in user owns a store: the navigation then shows the owners' pages."""
    request = context.get("request")
    return bool(request is not None and owned_store_ids(request))
