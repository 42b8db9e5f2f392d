"""The lock files match pyproject.toml: every dependency pinned exactly, with hashes, and the
dev set pins the runtime packages to the same versions (`make lock` regenerates both)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", re.MULTILINE)


def _name(requirement: str) -> str:
    bare = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", bare).lower()


def _pins(path: str) -> dict[str, str]:
    text = (ROOT / path).read_text()
    return {_name(name): version for name, version in PIN.findall(text)}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_runtime_dependency_is_pinned_in_both_lock_files():
    runtime, dev = _pins("requirements/runtime.txt"), _pins("requirements/dev.txt")
    for requirement in _project()["dependencies"]:
        assert _name(requirement) in runtime, requirement
        assert _name(requirement) in dev, requirement


def test_every_dev_dependency_is_pinned_in_the_dev_lock_only():
    runtime, dev = _pins("requirements/runtime.txt"), _pins("requirements/dev.txt")
    for requirement in _project()["optional-dependencies"]["dev"]:
        assert _name(requirement) in dev, requirement
    # the demo installs no dev tools
    assert "pytest" not in runtime
    assert "ruff" not in runtime


def test_the_dev_set_pins_the_runtime_packages_to_the_same_versions():
    runtime, dev = _pins("requirements/runtime.txt"), _pins("requirements/dev.txt")
    assert {name: dev[name] for name in runtime} == runtime


def test_every_pin_carries_hashes():
    for path in ("requirements/runtime.txt", "requirements/dev.txt"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / path).read_text())
        pinned = [b for b in blocks if PIN.match(b)]
        assert pinned
        assert all("--hash=sha256:" in block for block in pinned), path
