"""OpenAPI documents are valid (openapi-spec-validator), checked offline; drift is caught."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
import yaml

from felles.standard import Component, default_catalogue
from felles.standard.openapi import openapi_errors

ROOT = Path(__file__).resolve().parents[2]
TESTABLE = [c for c in default_catalogue().components() if c.openapi_path.is_file()]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("OpenAPI validation tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize("component", TESTABLE, ids=[c.key for c in TESTABLE])
def test_openapi_documents_are_valid(component: Component) -> None:
    assert openapi_errors(component) == []


def _planted(tmp_path: Path, change: object) -> Component:
    target = tmp_path / "schemas" / "application" / "1.0"
    shutil.copytree(ROOT / "schemas" / "application" / "1.0", target)
    document = yaml.safe_load((target / "openapi.yaml").read_text())
    change(document)  # type: ignore[operator]
    (target / "openapi.yaml").write_text(yaml.safe_dump(document))
    return Component("application", "1.0", tmp_path)


def test_dangling_ref_is_reported(tmp_path: Path) -> None:
    def dangle(document: dict) -> None:  # type: ignore[type-arg]
        post = document["paths"]["/applications"]["post"]
        post["requestBody"]["content"]["application/json"]["schema"] = {
            "$ref": "https://felles.example/schemas/application/1.0/Nope.schema.json"
        }

    errors = openapi_errors(_planted(tmp_path, dangle))
    assert any("Nope.schema.json" in e for e in errors), errors


def test_relative_dangling_ref_and_bad_fragment_are_reported(tmp_path: Path) -> None:
    def dangle(document: dict) -> None:  # type: ignore[type-arg]
        document["paths"]["/applications"]["post"]["requestBody"]["content"]["application/json"]["schema"] = {
            "$ref": "Missing.schema.json"
        }
        document["paths"]["/applications"]["get"]["parameters"][0]["schema"] = {
            "$ref": "Application.schema.json#/$defs/NoSuchDef"
        }

    errors = openapi_errors(_planted(tmp_path, dangle))
    assert any("Missing.schema.json" in e for e in errors), errors
    assert any("NoSuchDef" in e for e in errors), errors


def test_structural_error_is_reported(tmp_path: Path) -> None:
    def break_it(document: dict) -> None:  # type: ignore[type-arg]
        del document["info"]["title"]
        document["paths"]["/applications"]["get"]["parameters"][0]["in"] = "body"

    errors = openapi_errors(_planted(tmp_path, break_it))
    assert any("'title' is a required property" in e for e in errors), errors
    assert any("body" in e for e in errors), errors
