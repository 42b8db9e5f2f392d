"""No template or view turns off escaping for untrusted data, and no page needs inline script
or style (the CSP forbids both). A reviewed exception goes in ALLOWED with its reason."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("leapdash/**/templates")]
CODE_DIRS = ["leapdash", "links", "connections", "meters"]

UNSAFE_TEMPLATE = re.compile(
    r"\|\s*safe\b|\{%\s*autoescape\s+off|\|\s*safeseq\b|\{%\s*filter\s+safe"
)
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=|hx-on|javascript:", re.I
)
UNSAFE_CODE = re.compile(r"\bmark_safe\(|\bSafeString\(|\bformat_html\(|\|safe|autoescape=False")

# path (relative to the repository) -> why the use is safe
ALLOWED: dict[str, str] = {}


def _templates():
    seen = set()
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            if path not in seen and "site-packages" not in path.parts:
                seen.add(path)
                yield path


def test_there_are_templates_to_check():
    assert len(list(_templates())) >= 30


def test_no_template_turns_escaping_off():
    found = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in _templates()
        for m in UNSAFE_TEMPLATE.finditer(p.read_text())
        if str(p.relative_to(ROOT)) not in ALLOWED
    ]
    assert not found


def test_no_template_has_inline_script_style_or_handlers():
    found = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in _templates()
        for m in INLINE.finditer(p.read_text())
        if str(p.relative_to(ROOT)) not in ALLOWED
    ]
    assert not found


def test_no_python_code_marks_text_safe():
    found = []
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                code = line.split("#", 1)[0]  # a comment saying "no |safe" is fine
                if UNSAFE_CODE.search(code) and str(path.relative_to(ROOT)) not in ALLOWED:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found
