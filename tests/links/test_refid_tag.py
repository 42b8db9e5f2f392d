"""{% refid %}: the refId chip, escaped."""

from django.template import Context, Template


def _render(value: object) -> str:
    return Template("{% load refids %}{% refid value %}").render(Context({"value": value}))


def test_the_chip_is_a_refid_code_element():
    assert _render("pm-bulk-0O2") == '<code class="refid" translate="no">pm-bulk-0O2</code>'


def test_the_chip_escapes_what_leap_sent():
    assert _render("<b>x</b>") == ('<code class="refid" translate="no">&lt;b&gt;x&lt;/b&gt;</code>')
