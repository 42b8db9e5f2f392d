"""The Connect contract (tests/contracts/leapdash-connect-v1.1.yml): a strict validator for
what the sandbox sends, and documents generated from it (with schemathesis's generator)."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import schemathesis
import yaml
from hypothesis.strategies import SearchStrategy
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
CONNECT = "leapdash-connect-v1.1.yml"


@cache
def spec(name: str = CONNECT) -> dict[str, Any]:
    return yaml.safe_load((CONTRACTS / name).read_text())


def problems(schema: dict[str, Any], document: Any, name: str = CONNECT) -> list[str]:
    """Every way the document breaks the schema (a `$ref` into the file, or inline), with
    format checks (uuid, date-time) on."""
    registry = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec(name), default_specification=DRAFT4)
    )
    schema = _rebased(schema)
    validator = OAS30Validator(schema, registry=registry, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message}" for e in errors]


def _rebased(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (f"urn:spec{v}" if k == "$ref" and v.startswith("#") else _rebased(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebased(v) for v in node]
    return node


def component(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    content = spec()["paths"][path][method]["responses"][status]["content"]
    return content["application/json"]["schema"]


def documents(name: str, limits: dict[str, int] | None = None) -> SearchStrategy[Any]:
    """Documents the component allows, generated from the file's own schema; `limits` adds a
    maxLength to the named properties of every component."""
    components = copy.deepcopy(spec()["components"])
    for schema in components["schemas"].values():
        for prop, limit in (limits or {}).items():
            if prop in schema.get("properties", {}):
                schema["properties"][prop] = {**schema["properties"][prop], "maxLength": limit}
    body = {"required": True, "content": {"application/json": {"schema": component(name)}}}
    document = {
        "openapi": "3.0.2",
        "info": {"title": f"{name} documents", "version": "1"},
        "paths": {"/document": {"post": {"requestBody": body, "responses": {"200": {}}}}},
        "components": components,
    }
    document["paths"]["/document"]["post"]["responses"]["200"] = {"description": "ok"}
    operation = schemathesis.openapi.from_dict(document)["/document"]["POST"]
    return operation.as_strategy().map(lambda case: case.body)
