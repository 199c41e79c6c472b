from django import template

from retour.dashboard.navigation import links_for
from retour.dashboard.views.common import access_of

register = template.Library()


@register.simple_tag(takes_context=True)
def navigation(context) -> list:
    """The header's links for the signed-in staff member (the request's access, no new query
    on a page that already checked it)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return links_for(access_of(request))
