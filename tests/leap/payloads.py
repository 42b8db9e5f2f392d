"""Recorded Leap payloads (tests/payloads/, see its README for each file's origin)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"


def load_payload(name: str) -> Any:
    """A fresh decoded copy of a recorded JSON payload (tests may change it)."""
    return json.loads((PAYLOADS / name).read_text())


def payload_text(name: str) -> str:
    return (PAYLOADS / name).read_text()
