"""The import contract of ARCHITECTURE.md, read from the source: feature apps use each other's
models and domain rules only, and the core (leapdash/leap, the shared helpers, runs) imports no
feature app. A forbidden import fails here, naming the file, the line and the rule it breaks."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FEATURE_APPS = ("links", "connections", "meters")
# Modules of a feature app that are its own business: screens, forms, jobs, importers, wiring.
APP_PRIVATE = frozenset(
    {
        "admin",
        "batches",
        "bulk",
        "bulk_views",
        "csvs",
        "filters",
        "forms",
        "funnel",
        "hooks",
        "paging",
        "partners",
        "queue",
        "reconcile_views",
        "tasks",
        "urls",
        "views",
    }
)
# The core: shared helpers and Leap's side. Feature apps build on them, never the reverse.
CORE = (
    *("leapdash.leap", "leapdash.csvs", "leapdash.paging", "leapdash.pgcopy", "leapdash.htmx"),
    *("leapdash.runs", "leapdash.uploads", "leapdash.badinput", "leapdash.nostore"),
    *("leapdash.db", "leapdash.clock", "leapdash.exports", "leapdash.kept"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(
    module: str, source: str, is_package: bool = False
) -> Iterator[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every import in the source, relative ones resolved
    against the module's package (the module itself for an __init__)."""
    package = module if is_package else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [alias.name for alias in node.names]
            yield node.lineno, base, names
            for name in names:  # "from connections import views" imports a module
                if _is_module(f"{base}.{name}"):
                    yield node.lineno, f"{base}.{name}", []


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _app(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in FEATURE_APPS else None


def _in_core(module: str) -> bool:
    return any(module == core or module.startswith(core + ".") for core in CORE)


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """What the module imports against the contract, one line per forbidden import."""
    found = []
    importer_app = _app(module)
    for line, target, names in imports(module, source, is_package):
        target_app = _app(target)
        if target_app is None:
            continue
        where = f"{module}:{line} imports {target}"
        if _in_core(module):
            found.append(f"{where}: the core imports no feature app")
        elif importer_app and target_app != importer_app:
            parts = target.split(".")
            if len(parts) > 1 and parts[1] in APP_PRIVATE:
                found.append(f"{where}: {parts[1]} is {target_app}'s own module")
            private = [n for n in names if n.startswith("_")]
            if private:
                found.append(f"{where}: {', '.join(private)} is private to {target_app}")
    return found


def sources() -> Iterator[Path]:
    for top in (*FEATURE_APPS, "leapdash"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_the_tree_keeps_the_contract():
    found = [
        v
        for path in sources()
        for v in violations(module_name(path), path.read_text(), path.name == "__init__.py")
    ]
    assert found == []


def test_every_module_is_read():
    names = {module_name(path) for path in sources()}
    assert {"links.models", "connections.views.queue", "meters.reconcile"} <= names
    assert "leapdash.leap.client" in names


@pytest.mark.parametrize(
    ("module", "source", "rule"),
    [
        ("meters.views", "from connections.views import connection_list", "own module"),
        ("meters.views", "from connections import tasks", "own module"),
        ("links.admin", "from connections.tasks import reclassify_connections_task", "own"),
        ("connections.views.queue", "from links.bulk import parse_csv", "own module"),
        ("meters.partners", "from links.models import _secret", "private to links"),
        ("connections.funnel", "import meters.partners", "own module"),
        ("leapdash.leap.client", "from links.models import Link", "the core"),
        ("leapdash.csvs", "from connections.models import Connection", "the core"),
        ("leapdash.runs.tracking", "import meters.models", "the core"),
    ],
)
def test_a_forbidden_import_is_named(module, source, rule):
    (found,) = violations(module, source)
    assert module in found
    assert rule in found


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("meters.views", "from connections.models import Connection"),
        ("meters.reconcile", "from connections.choices import ConnectionStatus"),
        ("connections.views.queue", "from ..models import Connection"),
        ("connections.views.queue", "from . import funnel"),
        ("links.views", "from meters.arrival import meters_of_ref"),
        ("leapdash.views", "from connections.due import standing_counts"),
        ("leapdash.leap.client", "from leapdash.leap.transport import Transport"),
    ],
)
def test_an_allowed_import_passes(module, source):
    assert violations(module, source) == []


def test_relative_imports_resolve_to_their_package():
    lines = list(imports("connections.views.queue", "from ..tasks import post\nfrom . import hook"))
    assert (1, "connections.tasks", ["post"]) in lines
    assert (2, "connections.views.hook", []) in lines
    in_init = list(imports("connections.views", "from . import queue", is_package=True))
    assert (1, "connections.views.queue", []) in in_init


DOC = ROOT / "ARCHITECTURE.md"


def _named_paths(text: str) -> list[str]:
    return [
        name
        for name in re.findall(r"`([a-z_/]+(?:\.py|/))`", text)
        if name.startswith(("leapdash/", "links/", "connections/", "meters/", "tests/"))
    ]


def test_every_module_architecture_md_names_exists():
    """A rule found through the page is one step away: its module is where the page says."""
    named = _named_paths(DOC.read_text())
    assert len(named) > 25
    assert [name for name in named if not (ROOT / name).exists()] == []


def test_architecture_md_names_the_whole_core():
    text = DOC.read_text()
    short = {core.removeprefix("leapdash.") for core in CORE}
    assert [name for name in sorted(short) if name.split(".")[0] not in text] == []
