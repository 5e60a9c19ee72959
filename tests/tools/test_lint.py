"""``felles lint`` catches each kind of drift: planted in a temporary copy, reported by its rule alone.

Every test copies the common and application standard (spec, schemas,
examples) and the application check module into ``tmp_path``, plants one
kind of drift and asserts that exactly the rule for it fires, at the right
file and location. The untouched copy, and the repository itself, lint clean.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from felles.errors import UsageError
from felles.tools.lint import DEFAULT_CHECKS_DIR, RULES, Finding, lint, render, summary

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ("common", "application")
APP = "schemas/application/1.0"
SPEC = "spec/application/1.0/index.md"
CHECKS = "checks/application.py"


def _copy_standard(target: Path) -> Path:
    for folder in ("spec", "schemas", "examples"):
        for component in COMPONENTS:
            shutil.copytree(ROOT / folder / component, target / folder / component)
    (target / "checks").mkdir()
    for module in ("__init__.py", "application.py"):
        shutil.copy(DEFAULT_CHECKS_DIR / module, target / "checks" / module)
    return target


@pytest.fixture
def standard(tmp_path: Path) -> Path:
    return _copy_standard(tmp_path / "standard")


def _lint(root: Path) -> list[Finding]:
    return list(lint(root, root / "checks").findings)


def _edit_json(path: Path, change: Callable[[Any], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")


def _edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@dataclass(frozen=True)
class Plant:
    """One planted drift: the rule that must catch it and where it must point."""

    rule: str
    name: str
    plant: Callable[[Path], tuple[str, str]]  # returns (path, location) the finding must name


# --- the plantings ------------------------------------------------------------------------------


def broken_example_json(root: Path) -> tuple[str, str]:
    relative = "examples/application/1.0/valid/Transition/to-received-minimal.json"
    (root / relative).write_text('{"to": "received",\n  "note": ', encoding="utf-8")
    return relative, "2"


def broken_check_module(root: Path) -> tuple[str, str]:
    (root / "checks" / "broken.py").write_text("def check_x(:\n    pass\n", encoding="utf-8")
    return "checks/broken.py", "1"


def duplicate_schema_member(root: Path) -> tuple[str, str]:
    _replace(
        root / "schemas/common/1.0/Link.schema.json", '"title": "Link",', '"title": "Link", "title": "Lenke",'
    )
    return "schemas/common/1.0/Link.schema.json", "(root)"


def metaschema_violation(root: Path) -> tuple[str, str]:
    _edit_json(root / APP / "Transition.schema.json", lambda d: d["properties"]["to"].update(minLength=-1))
    return f"{APP}/Transition.schema.json", "/properties/to/minLength"


def wrong_dialect(root: Path) -> tuple[str, str]:
    _edit_json(
        root / APP / "Transition.schema.json",
        lambda d: d.update({"$schema": "http://json-schema.org/draft-07/schema#"}),
    )
    return f"{APP}/Transition.schema.json", "/$schema"


def openapi_structure(root: Path) -> tuple[str, str]:
    _edit_yaml(root / APP / "openapi.yaml", lambda d: d["info"].pop("title"))
    return f"{APP}/openapi.yaml", "/info"


def openapi_bad_parameter(root: Path) -> tuple[str, str]:
    def change(document: Any) -> None:
        document["paths"]["/applications"]["get"]["parameters"][0]["in"] = "body"

    _edit_yaml(root / APP / "openapi.yaml", change)
    return f"{APP}/openapi.yaml", "/paths/~1applications/get/parameters/0/in"


def dangling_schema_ref(root: Path) -> tuple[str, str]:
    def change(document: Any) -> None:
        document["properties"]["note"]["$ref"] = (
            "https://felles.example/schemas/common/1.0/Identifiers.schema.json#/$defs/NoSuchText"
        )

    _edit_json(root / APP / "Transition.schema.json", change)
    return f"{APP}/Transition.schema.json", "/properties/note/$ref"


def dangling_openapi_ref(root: Path) -> tuple[str, str]:
    def change(document: Any) -> None:
        document["components"]["responses"]["Problem"]["content"]["application/problem+json"]["schema"] = {
            "$ref": "https://felles.example/schemas/common/1.0/Trouble.schema.json"
        }

    _edit_yaml(root / APP / "openapi.yaml", change)
    return (
        f"{APP}/openapi.yaml",
        "/components/responses/Problem/content/application~1problem+json/schema/$ref",
    )


def remote_ref(root: Path) -> tuple[str, str]:
    _edit_json(
        root / "schemas/common/1.0/Link.schema.json",
        lambda d: d.update({"$ref": "https://example.org/schemas/link.json"}),
    )
    return "schemas/common/1.0/Link.schema.json", "/$ref"


def wrong_id(root: Path) -> tuple[str, str]:
    _edit_json(
        root / "schemas/common/1.0/Link.schema.json",
        lambda d: d.update({"$id": "https://felles.example/schemas/common/1.0/Hyperlink.schema.json"}),
    )
    return "schemas/common/1.0/Link.schema.json", "/$id"


def missing_id(root: Path) -> tuple[str, str]:
    _edit_json(root / "schemas/common/1.0/Link.schema.json", lambda d: d.pop("$id"))
    return "schemas/common/1.0/Link.schema.json", "(root)"


def valid_example_fails(root: Path) -> tuple[str, str]:
    relative = "examples/application/1.0/valid/Transition/to-received-minimal.json"
    _edit_json(root / relative, lambda d: d.update(to="archived"))
    return relative, "/to"


def invalid_example_passes(root: Path) -> tuple[str, str]:
    relative = "examples/application/1.0/invalid/Transition/note_too-long.json"
    _edit_json(root / relative, lambda d: d.update(note="Kort merknad."))
    return relative, "/note"


def example_wrong_reason(root: Path) -> tuple[str, str]:
    folder = root / "examples/application/1.0/invalid/ApplicationSubmission"
    (folder / "comment_too-long.json").rename(folder / "comment_pattern.json")
    return "examples/application/1.0/invalid/ApplicationSubmission/comment_pattern.json", "/comment"


def example_wrong_member(root: Path) -> tuple[str, str]:
    folder = root / "examples/application/1.0/invalid/Transition"
    (folder / "note_too-long.json").rename(folder / "to_too-long.json")
    return "examples/application/1.0/invalid/Transition/to_too-long.json", "/to"


def example_misnamed(root: Path) -> tuple[str, str]:
    folder = root / "examples/application/1.0/valid/Transition"
    (folder / "to-received-minimal.json").rename(folder / "To_Received.json")
    return "examples/application/1.0/valid/Transition/To_Received.json", ""


def example_for_no_schema(root: Path) -> tuple[str, str]:
    source = root / "examples/application/1.0/valid/Transition"
    shutil.copytree(source, source.parent / "Transfer")
    return "examples/application/1.0/valid/Transfer/to-granted-multi-line-note.json", ""


def must_without_check(root: Path) -> tuple[str, str]:
    _replace(
        root / CHECKS,
        '@requirement("/req/application/core/location")',
        '@requirement("/req/application/core/create")',
    )
    return SPEC, str(_line_of(root / SPEC, '"/req/application/core/location"'))


def check_names_unknown_requirement(root: Path) -> tuple[str, str]:
    _append(
        root / CHECKS,
        '\n\n@requirement("/req/application/core/teleport")\ndef check_teleport() -> None:\n    pass\n',
    )
    return CHECKS, str(_line_of(root / CHECKS, "def check_teleport"))


def check_without_marker(root: Path) -> tuple[str, str]:
    _append(root / CHECKS, "\n\ndef check_orphan() -> None:\n    pass\n")
    return CHECKS, str(_line_of(root / CHECKS, "def check_orphan"))


def check_with_two_markers(root: Path) -> tuple[str, str]:
    _replace(
        root / CHECKS,
        '@requirement("/req/application/core/location")\n',
        '@requirement("/req/application/core/location")\n@pytest.mark.requirement("/req/application/core/create")\n',
    )
    return CHECKS, str(_line_of(root / CHECKS, "def check_location_header"))


def requirement_without_keyword(root: Path) -> tuple[str, str]:
    _replace(root / SPEC, "The `201` response MUST carry a", "The `201` response carries a")
    return SPEC, str(_line_of(root / SPEC, '"/req/application/core/location"'))


def duplicate_requirement(root: Path) -> tuple[str, str]:
    _append(
        root / SPEC,
        '\n!!! requirement "/req/application/core/location"\n    **Again.** The server MUST do it twice.\n',
    )
    text = (root / SPEC).read_text(encoding="utf-8").splitlines()
    last = max(n for n, line in enumerate(text, 1) if '"/req/application/core/location"' in line)
    return SPEC, str(last)


def malformed_requirement(root: Path) -> tuple[str, str]:
    _append(root / SPEC, '\n!!! requirement "/req/Application/core"\n    **Odd.** It MUST be.\n')
    return SPEC, str(_line_of(root / SPEC, '"/req/Application/core"'))


def requirement_of_other_component(root: Path) -> tuple[str, str]:
    _append(root / SPEC, '\n!!! requirement "/req/property/core/x"\n    **Odd.** It MUST be.\n')
    return SPEC, str(_line_of(root / SPEC, '"/req/property/core/x"'))


def spec_header_version(root: Path) -> tuple[str, str]:
    _replace(root / SPEC, "| Version | 1.0 |", "| Version | 1.1 |")
    return SPEC, str(_line_of(root / SPEC, "| Version |"))


def openapi_info_version(root: Path) -> tuple[str, str]:
    _edit_yaml(root / APP / "openapi.yaml", lambda d: d["info"].update(version="1.1"))
    return f"{APP}/openapi.yaml", "/info/version"


def schema_id_version(root: Path) -> tuple[str, str]:
    _edit_json(
        root / "schemas/common/1.0/Link.schema.json",
        lambda d: d.update({"$id": "https://felles.example/schemas/common/1.1/Link.schema.json"}),
    )
    return "schemas/common/1.0/Link.schema.json", "/$id"


def spec_without_schemas(root: Path) -> tuple[str, str]:
    shutil.copytree(root / "spec/application/1.0", root / "spec/application/2.0")
    return "spec/application/2.0/index.md", "1"


def version_folder_name(root: Path) -> tuple[str, str]:
    (root / "schemas/application/v2").mkdir()
    return "schemas/application/v2", ""


def ref_into_other_version(root: Path) -> tuple[str, str]:
    # A new major version (1.1 exists already; a major may differ from it in any way).
    shutil.copytree(root / APP, root / "schemas/application/2.0")
    shutil.copytree(root / "spec/application/1.0", root / "spec/application/2.0")
    for path in (root / "schemas/application/2.0").iterdir():
        text = path.read_text(encoding="utf-8").replace("application/1.0/", "application/2.0/")
        path.write_text(text.replace('version: "1.0"', 'version: "2.0"'), encoding="utf-8")
    _replace(root / "spec/application/2.0/index.md", "| Version | 1.0 |", "| Version | 2.0 |")
    _edit_json(
        root / "schemas/application/2.0/Application.schema.json",
        lambda d: d["properties"]["submission"].update(
            {"$ref": "https://felles.example/schemas/application/1.0/ApplicationSubmission.schema.json"}
        ),
    )
    return "schemas/application/2.0/Application.schema.json", "/properties/submission/$ref"


def minor_version_breaks(root: Path) -> tuple[str, str]:
    def change(document: Any) -> None:
        (limit,) = [
            p for p in document["paths"]["/applications"]["get"]["parameters"] if p.get("name") == "limit"
        ]
        limit["schema"]["maximum"] = 50  # requests with limit=100 that 1.0 accepted are now refused

    _edit_yaml(root / "schemas/application/1.1/openapi.yaml", change)
    return "schemas/application/1.1/openapi.yaml", "/paths/~1applications/get/parameters/3/schema"


PLANTS = [
    Plant("file-unreadable", "example is not JSON", broken_example_json),
    Plant("file-unreadable", "check module is not Python", broken_check_module),
    Plant("file-unreadable", "schema with a duplicate member", duplicate_schema_member),
    Plant("schema-metaschema", "negative minLength", metaschema_violation),
    Plant("schema-metaschema", "draft-07 dialect", wrong_dialect),
    Plant("openapi-invalid", "info.title missing", openapi_structure),
    Plant("openapi-invalid", "parameter in body", openapi_bad_parameter),
    Plant("ref-dangling", "schema $ref to a missing $defs entry", dangling_schema_ref),
    Plant("ref-dangling", "OpenAPI $ref to a missing schema", dangling_openapi_ref),
    Plant("ref-dangling", "schema $ref to the network", remote_ref),
    Plant("id-mismatch", "$id names another file", wrong_id),
    Plant("id-mismatch", "$id missing", missing_id),
    Plant("example-valid-fails", "valid example with an unknown status", valid_example_fails),
    Plant("example-invalid-passes", "invalid example that is valid", invalid_example_passes),
    Plant("example-wrong-reason", "too-long renamed pattern", example_wrong_reason),
    Plant("example-wrong-reason", "names the wrong member", example_wrong_member),
    Plant("example-misnamed", "label not kebab-case", example_misnamed),
    Plant("example-misnamed", "folder names no schema", example_for_no_schema),
    Plant("must-untested", "MUST whose check was re-pointed", must_without_check),
    Plant("test-unknown-requirement", "check names an ID no spec has", check_names_unknown_requirement),
    Plant("check-unmarked", "check without marker", check_without_marker),
    Plant("check-unmarked", "check with two markers", check_with_two_markers),
    Plant("requirement-no-keyword", "MUST written as prose", requirement_without_keyword),
    Plant("requirement-duplicate", "ID defined twice", duplicate_requirement),
    Plant("requirement-malformed", "ID not /req/c/class/name", malformed_requirement),
    Plant("requirement-malformed", "ID of another component", requirement_of_other_component),
    Plant("version-mismatch", "spec header", spec_header_version),
    Plant("version-mismatch", "OpenAPI info.version", openapi_info_version),
    Plant("version-mismatch", "schema $id version", schema_id_version),
    Plant("version-mismatch", "spec without schemas", spec_without_schemas),
    Plant("version-mismatch", "version folder not MAJOR.MINOR", version_folder_name),
    Plant("version-mismatch", "$ref into another version of the component", ref_into_other_version),
    Plant("version-breaking", "minor version lowers a request maximum", minor_version_breaks),
]


def test_pristine_copy_lints_clean(standard: Path) -> None:
    findings = _lint(standard)
    assert findings == [], render(lint(standard, standard / "checks"))


def test_the_repository_lints_clean() -> None:
    result = lint(ROOT, DEFAULT_CHECKS_DIR)
    assert result.clean, render(result)


def test_every_rule_has_a_planted_drift() -> None:
    assert {plant.rule for plant in PLANTS} == set(RULES)


@pytest.mark.parametrize("plant", PLANTS, ids=[f"{p.rule}: {p.name}" for p in PLANTS])
def test_planted_drift_is_caught_by_its_rule_alone(standard: Path, plant: Plant) -> None:
    path, location = plant.plant(standard)
    findings = _lint(standard)
    report = "\n".join(f.as_text() for f in findings)
    assert {f.rule for f in findings} == {plant.rule}, report
    assert any(f.path == path and f.location == location for f in findings), (
        f"expected a finding at {path}:{location}\n{report}"
    )


# --- details of the rules -----------------------------------------------------------------------


def test_unreadable_schema_is_reported_once_not_as_dangling_refs(standard: Path) -> None:
    path = standard / APP / "Transition.schema.json"
    path.write_text(path.read_text(encoding="utf-8")[:-10], encoding="utf-8")
    findings = _lint(standard)
    assert [(f.rule, f.path) for f in findings] == [("file-unreadable", f"{APP}/Transition.schema.json")]
    assert findings[0].line is not None


def test_schema_broken_beyond_validation_does_not_crash_example_checks(standard: Path) -> None:
    _edit_json(
        standard / APP / "Transition.schema.json", lambda d: d["properties"]["to"].update(type="strng")
    )
    findings = _lint(standard)
    assert {f.rule for f in findings} == {"schema-metaschema"}


def test_openapi_version_as_yaml_number_is_invalid_openapi(standard: Path) -> None:
    _replace(standard / APP / "openapi.yaml", 'version: "1.0"', "version: 1.0")
    (finding,) = _lint(standard)
    assert (finding.rule, finding.pointer) == ("openapi-invalid", "/info/version")
    assert "is not of type 'string'" in finding.message


def test_wrong_reason_message_says_what_fails(standard: Path) -> None:
    example_wrong_reason(standard)
    (finding,) = _lint(standard)
    assert "'pattern'" in finding.message
    assert "maxLength" in finding.message


def test_must_untested_names_the_requirement(standard: Path) -> None:
    must_without_check(standard)
    findings = _lint(standard)
    # The requirement holds in 1.0 and 1.1 under one ID: untested in both.
    assert {f.path for f in findings} == {SPEC, "spec/application/1.1/index.md"}
    for finding in findings:
        assert "/req/application/core/location" in finding.message
        assert "@requirement" in finding.message


def test_should_without_check_is_not_a_finding(standard: Path) -> None:
    _replace(
        standard / CHECKS,
        '@requirement("/req/application/core/etag-on-create")',
        '@requirement("/req/application/core/create")',
    )
    assert _lint(standard) == []


def test_marker_aliases_are_recognised(standard: Path) -> None:
    text = (standard / CHECKS).read_text(encoding="utf-8")
    text = text.replace("requirement = pytest.mark.requirement", "req = pytest.mark.requirement")
    text = text.replace("@requirement(", "@req(")
    (standard / CHECKS).write_text(text, encoding="utf-8")
    assert _lint(standard) == []


def test_check_without_any_checks_dir_leaves_every_must_untested(standard: Path) -> None:
    empty = standard / "no-checks"
    empty.mkdir()
    findings = lint(standard, empty).findings
    assert findings
    assert {f.rule for f in findings} == {"must-untested"}


def test_findings_are_sorted_and_render_as_text_and_json(standard: Path) -> None:
    valid_example_fails(standard)
    spec_header_version(standard)
    result = lint(standard, standard / "checks")
    assert list(result.findings) == sorted(result.findings, key=lambda f: (f.path, f.line or 0))
    lines = render(result).splitlines()
    assert len(lines) == len(result.findings)
    assert lines[0].startswith("examples/application/1.0/valid/Transition/to-received-minimal.json:/to: ")
    assert ": example-valid-fails: " in lines[0]
    document = json.loads(render(result, "json"))
    assert document["clean"] is False
    assert document["counts"] == {"example-valid-fails": 1, "version-mismatch": 1}
    assert {f["rule"] for f in document["findings"]} == {"example-valid-fails", "version-mismatch"}
    assert set(document["findings"][0]) == {"rule", "path", "location", "line", "pointer", "message"}
    assert "2 finding(s)" in summary(result)


def test_not_a_standard_root_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no schemas/ folder"):
        lint(tmp_path)
    with pytest.raises(UsageError, match="not a directory"):
        lint(tmp_path / "nowhere")
