"""{% refid value %}: a refId chip in a typeface that tells O from 0 and l from 1."""

from django import template

register = template.Library()


@register.inclusion_tag("links/_refid.html")
def refid(value: object) -> dict[str, object]:
    """The refId, auto-escaped, in a <code class="refid"> chip (monospace, slashed zero)."""
    return {"value": value}
