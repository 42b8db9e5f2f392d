"""A link's QR code: inline in a page (a data: URI) or as a standalone SVG file."""

import io

import segno


def qr_data_uri(url: str) -> str:
    """A data: URI keeps the SVG out of the HTML (nothing marked safe); the CSP allows it."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def qr_svg(url: str, title: str) -> bytes:
    """A file, not inline markup: it carries the SVG namespace, so it opens as an image anywhere."""
    svg = io.BytesIO()
    segno.make(url, error="m").save(
        svg, kind="svg", scale=8, border=4, xmldecl=False, svgns=True, title=title
    )
    return svg.getvalue()
