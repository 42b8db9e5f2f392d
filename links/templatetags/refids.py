"""{% refid value %}: a refId chip in a typeface that tells O from 0 and l from 1."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def refid(value: object) -> str:
    """The refId, escaped, in a <code class="refid"> chip (monospace, slashed zero)."""
    return format_html('<code class="refid" translate="no">{}</code>', value)
