"""Where each generated page lives on the site, and the anchors other pages link to.

One place decides the URLs, so the pages, the navigation and the tests
agree. Paths are relative to a language's root (``nb/`` or ``en/`` in the
docs sources). The reference mirrors ``spec/`` (``spec/index.md`` is
``reference/index.md``), so the spec's own relative links
(``../../common/1.0/index.md``, ``../../index.md#versions``) work unchanged.
"""

from __future__ import annotations

import posixpath
from typing import Final, Literal

from felles.tools.markdown import anchor

PageKind = Literal["index", "requirements", "schemas", "api"]

REFERENCE: Final = "reference"
OVERVIEW: Final = f"{REFERENCE}/index.md"
COVERAGE: Final = f"{REFERENCE}/coverage.md"


def version_page(name: str, version: str, kind: PageKind) -> str:
    """``reference/<name>/<version>/<kind>.md``; ``index`` is the specification text."""
    return f"{REFERENCE}/{name}/{version}/{kind}.md"


def changelog_page(name: str) -> str:
    return f"{REFERENCE}/{name}/changelog.md"


def relative(from_page: str, to_page: str) -> str:
    """The link from one page to another, both given relative to the language root."""
    if from_page == to_page:
        return ""
    return posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")


def link(from_page: str, to_page: str, fragment: str = "") -> str:
    """A Markdown link target: relative path plus ``#fragment``."""
    target = relative(from_page, to_page)
    return f"{target}#{fragment}" if fragment else (target or "#")


def requirement_anchor(requirement_id: str) -> str:
    """``/req/application/core/create`` → ``req-application-core-create``."""
    return anchor(*requirement_id.strip("/").split("/"))


def schema_anchor(schema: str, definition: str | None = None) -> str:
    """The id of a schema's section on the schema page, or of one of its ``$defs``."""
    return anchor(schema, definition) if definition else anchor(schema)


def class_anchor(name: str) -> str:
    return anchor("class", name)


def coverage_anchor(name: str, version: str) -> str:
    return anchor("coverage", name, version)


def operation_anchor(operation_id: str | None, method: str, path: str) -> str:
    return anchor("op", operation_id) if operation_id else anchor("op", method, path)
