"""The requirement list of one component version: every ID, its class, level and text.

Read from the spec's requirement blocks (the same parser the runner, the
reports and ``felles lint`` use), grouped by conformance class in the order
the spec introduces them. Each row links to the checks that test it on the
coverage page; each class ends with the clause a kommune can put in a tender.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final

from felles.docs_site.labels import Lang, label
from felles.docs_site.layout import (
    COVERAGE,
    class_anchor,
    coverage_anchor,
    link,
    requirement_anchor,
    version_page,
)
from felles.report.certificate import procurement_clause
from felles.standard.catalogue import Component
from felles.standard.requirements import SpecRequirement
from felles.tools.markdown import code, heading, pipes_escaped, table

_IN_PAGE_LINK: Final = re.compile(r"\]\(#")


def _from_spec(text: str) -> str:
    """Requirement text as it reads on the spec page: its ``(#heading)`` links point back there."""
    return _IN_PAGE_LINK.sub("](index.md#", pipes_escaped(text))


def level_label(keyword: str | None, lang: Lang) -> str:
    """``SKAL (MUST)`` in bokmål, ``MUST`` in English; the same words as the reports."""
    return label(lang, keyword) if keyword else label(lang, "no_keyword")


def counts(requirements: Sequence[SpecRequirement], lang: Lang) -> str:
    found = Counter(r.keyword for r in requirements)
    return label(lang, "counts", must=found["MUST"], should=found["SHOULD"], may=found["MAY"])


def requirements_page(
    component: Component,
    requirements: Sequence[SpecRequirement],
    checks: Mapping[str, int],
    lang: Lang,
) -> str:
    """The page's Markdown; ``checks`` maps a requirement ID to how many checks test it."""
    page = version_page(component.name, component.version, "requirements")
    spec = version_page(component.name, component.version, "index")
    lines = [heading(1, label(lang, "title_requirements", key=component.key)), ""]
    if not requirements:
        return "\n".join([*lines, label(lang, "no_requirements", key=component.key), ""])
    path = f"spec/{component.name}/{component.version}/index.md"
    lines += [
        label(lang, "requirements_intro", key=component.key, path=path),
        "",
        counts(requirements, lang),
        "",
    ]
    coverage = link(page, COVERAGE, coverage_anchor(component.name, component.version))
    classes = list(dict.fromkeys(r.conformance_class for r in requirements))
    for name in classes:
        mine = [r for r in requirements if r.conformance_class == name]
        lines += [heading(2, label(lang, "class", name=code(name)), class_anchor(name)), ""]
        lines += [counts(mine, lang), ""]
        rows = [
            [
                f'<span id="{requirement_anchor(r.requirement_id)}"></span>'
                f"[{code(r.requirement_id)}]({link(page, spec, requirement_anchor(r.requirement_id))})",
                level_label(r.keyword, lang),
                _from_spec(r.text),
                f"[{checks.get(r.requirement_id, 0)}]({coverage})",
            ]
            for r in mine
        ]
        headers = [label(lang, k) for k in ("id", "level", "requirement", "checks")]
        lines += [table(headers, rows), ""]
    lines += [heading(2, label(lang, "tender_clause"), "tender-clause"), ""]
    lines += [f"> {procurement_clause(component.name, component.version, classes, lang)}", ""]
    return "\n".join(lines)
