"""Headings and labels of the generated pages, in bokmål and English.

Only the words the generator adds are translated; what comes from the
standard (requirement text, schema descriptions, change messages) is shown
as written, since the normative text is English.
"""

from __future__ import annotations

from typing import Final, Literal

Lang = Literal["nb", "en"]
LANGUAGES: Final[tuple[Lang, ...]] = ("nb", "en")

# key -> (bokmål, English)
_LABELS: Final[dict[str, tuple[str, str]]] = {
    # navigation and page titles
    "reference": ("Referanse", "Reference"),
    "overview": ("Oversikt", "Overview"),
    "spec": ("Spesifikasjon", "Specification"),
    "requirements": ("Krav", "Requirements"),
    "schemas": ("Skjemaer", "Schemas"),
    "api": ("API", "API"),
    "changelog": ("Endringslogg", "Changelog"),
    "coverage": ("Dekning: krav og tester", "Coverage: requirements and checks"),
    "title_requirements": ("Krav: {key}", "Requirements: {key}"),
    "title_schemas": ("Skjemaer: {key}", "Schemas: {key}"),
    "title_api": ("API: {key}", "API: {key}"),
    # overview
    "overview_intro": (
        "Alle komponenter og versjoner i standarden, generert fra `spec/` og `schemas/` ved bygging.",
        "Every component and version of the standard, generated from `spec/` and `schemas/` at build time.",
    ),
    "component": ("Komponent", "Component"),
    "version": ("Versjon", "Version"),
    "status": ("Status", "Status"),
    "classes": ("Konformitetsklasser", "Conformance classes"),
    "pages": ("Sider", "Pages"),
    "none_classes": ("ingen (bare definisjoner)", "none (definitions only)"),
    "no_spec_status": ("ingen spesifikasjon ennå", "no specification yet"),
    "catalogue": ("Komponentversjoner i denne utgaven", "Component versions in this build"),
    # spec page
    "normative_note_title": ("Normativ tekst", "Normative text"),
    "normative_note": (
        "Teksten under er spesifikasjonen slik den står i `{path}`, på engelsk. Kravene er også listet "
        "på [kravsiden]({requirements}).",
        "The text below is the specification as written in `{path}`. Its requirements are also "
        "listed on the [requirements page]({requirements}).",
    ),
    "no_spec_title": ("Ingen spesifikasjon ennå", "No specification yet"),
    "no_spec": (
        "{key} har skjemaer, men ingen normativ tekst ennå (`{path}` finnes ikke). "
        "Det som finnes, er vist på sidene under.",
        "{key} has schemas but no normative text yet (`{path}` does not exist). "
        "What exists is shown on the pages below.",
    ),
    "tender_clause": ("Kravtekst for anskaffelser", "Clause for tenders"),
    # requirements page
    "requirements_intro": (
        "Kravene i {key}, hentet fra `{path}`. Et system oppfyller en klasse når hvert SKAL-krav "
        "(MUST) i klassen består; BØR (SHOULD) og KAN (MAY) rapporteres, men hindrer ikke sertifisering.",
        "The requirements of {key}, read from `{path}`. A system conforms to a class when every "
        "MUST of the class passes; SHOULD and MAY are reported but do not prevent certification.",
    ),
    "no_requirements": (
        "{key} har ingen nummererte krav (bare definisjoner, eller ingen spesifikasjon ennå).",
        "{key} has no numbered requirements (definitions only, or no specification yet).",
    ),
    "class": ("Klasse {name}", "Class {name}"),
    "id": ("ID", "ID"),
    "level": ("Nivå", "Level"),
    "requirement": ("Krav", "Requirement"),
    "checks": ("Tester", "Checks"),
    "counts": ("{must} SKAL, {should} BØR, {may} KAN", "{must} MUST, {should} SHOULD, {may} MAY"),
    "MUST": ("SKAL (MUST)", "MUST"),
    "SHOULD": ("BØR (SHOULD)", "SHOULD"),
    "MAY": ("KAN (MAY)", "MAY"),
    "no_keyword": ("uten nøkkelord", "no keyword"),
    # schema reference
    "schemas_intro": (
        "Referanse generert fra JSON Schema-filene i `{path}`; filene er normative. Valider et dokument med "
        "`felles validate fil.json --schema {key}/<Skjema>`.",
        "Reference generated from the JSON Schema files in `{path}`; the files are normative. Validate a "
        "document with `felles validate file.json --schema {key}/<Schema>`.",
    ),
    "no_schemas": ("{key} har ingen skjemaer ennå.", "{key} has no schemas yet."),
    "property": ("Felt", "Member"),
    "type": ("Type", "Type"),
    "required": ("Påkrevd", "Required"),
    "description": ("Beskrivelse", "Description"),
    "yes": ("ja", "yes"),
    "no": ("nei", "no"),
    "deprecated": ("foreldet", "deprecated"),
    "read_only": ("bare lesing", "read-only"),
    "write_only": ("bare skriving", "write-only"),
    "any": ("hva som helst", "any"),
    "nothing": ("ingenting (alltid ugyldig)", "nothing (always invalid)"),
    "array_of": ("liste av {item}", "array of {item}"),
    "one_of": ("én av: {items}", "one of: {items}"),
    "any_of": ("minst én av: {items}", "any of: {items}"),
    "all_of": ("alle av: {items}", "all of: {items}"),
    "not": ("ikke {item}", "not {item}"),
    "allowed": ("Tillatte verdier: {values}", "Allowed values: {values}"),
    "extensible": ("(kan utvides i senere delversjoner)", "(may grow in later minor versions)"),
    "length": ("lengde {range}", "length {range}"),
    "items_count": ("{range} elementer", "{range} items"),
    "members_count": ("{range} felt", "{range} members"),
    "unique": ("unike elementer", "unique items"),
    "pattern": ("mønster {pattern}", "pattern {pattern}"),
    "multiple_of": ("multiplum av {value}", "multiple of {value}"),
    "default": ("standardverdi {value}", "default {value}"),
    "examples_keyword": ("eksempel: {values}", "example: {values}"),
    "closed": ("Ingen andre felt er tillatt.", "No other members are allowed."),
    "type_line": ("Type: {type}", "Type: {type}"),
    "valid_examples": ("Gyldige eksempler ({count})", "Valid examples ({count})"),
    "invalid_examples": (
        "Ugyldige eksempler ({count}): felt og grunn til at de skal avvises",
        "Invalid examples ({count}): member and why it must be rejected",
    ),
    "dangling": (
        "$ref {ref} i {where} peker ikke på noe skjema i standarden",
        "$ref {ref} in {where} points to no schema of the standard",
    ),
    # API page
    "api_intro": (
        "Generert fra `{path}` (OpenAPI 3.1). Skjemaene lenker til [skjemareferansen]({schemas}).",
        "Generated from `{path}` (OpenAPI 3.1). Schemas link to the [schema reference]({schemas}).",
    ),
    "no_api": ("{key} har ikke noe API (ingen `openapi.yaml`).", "{key} has no API (no `openapi.yaml`)."),
    "servers": ("Eksempel på base-URL", "Example base URL"),
    "security": ("Sikkerhet", "Security"),
    "scheme": ("Ordning", "Scheme"),
    "scopes": ("Scopes", "Scopes"),
    "operations": ("Operasjoner", "Operations"),
    "other_operations": ("Andre operasjoner", "Other operations"),
    "public": ("Ingen autentisering.", "No authentication."),
    "needs_scopes": ("Krever {scopes}.", "Needs {scopes}."),
    "or": ("eller", "or"),
    "parameters": ("Parametere", "Parameters"),
    "name": ("Navn", "Name"),
    "in": ("I", "In"),
    "request_body": ("Forespørselens innhold", "Request body"),
    "optional_body": ("(valgfritt)", "(optional)"),
    "responses": ("Svar", "Responses"),
    "body": ("Innhold", "Body"),
    "headers": ("Hoder", "Headers"),
    "api_schemas": ("Skjemaer i OpenAPI-dokumentet", "Schemas in the OpenAPI document"),
    # coverage page
    "coverage_intro": (
        "Hvilke tester i konformitetstestene som prøver hvert krav, lest fra `@requirement`-markørene i "
        "`{checks}` (slik `felles lint` leser dem). Hvert SKAL-krav (MUST) må ha minst én test.",
        "Which checks of the conformance suite test each requirement, read from the `@requirement` "
        "markers in `{checks}` (as `felles lint` reads them). Every MUST needs at least one check.",
    ),
    "must_covered": ("SKAL-krav med test", "MUSTs with a check"),
    "no_check": ("ingen test", "no check"),
    "no_testable": (
        "Ingen komponent har nummererte krav ennå.",
        "No component has numbered requirements yet.",
    ),
}


def label(lang: Lang, key: str, /, **values: object) -> str:
    """The label ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    bokmal, english = _LABELS[key]
    text = bokmal if lang == "nb" else english
    return text.format(**values) if values else text


def keys() -> frozenset[str]:
    """Every label key (for tests that check each is used and translated)."""
    return frozenset(_LABELS)
