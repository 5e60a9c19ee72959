"""The normative text of a component version (``spec/<c>/<v>/index.md``) as a site page.

The text is published as written (English): the site only adds an anchor
in front of each requirement block, so requirement IDs can be linked, and a
note after the title saying where the text comes from. The reference mirrors
``spec/``, so the spec's relative links keep working.
"""

from __future__ import annotations

import re
from typing import Final

from felles.docs_site.labels import Lang, label
from felles.docs_site.layout import link, requirement_anchor, version_page
from felles.standard.catalogue import Component
from felles.tools.markdown import heading

_BLOCK: Final = re.compile(r'^!!! requirement "(?P<id>[^"]*)"\s*$')
_TITLE: Final = re.compile(r"^# ")
_STATUS: Final = re.compile(r"^\|\s*Status\s*\|\s*(?P<status>[^|]+?)\s*\|\s*$", re.MULTILINE)


def spec_status(markdown: str) -> str | None:
    """The ``| Status | ... |`` row of a spec's header table, if it has one."""
    match = _STATUS.search(markdown)
    return match.group("status") if match else None


def with_anchors(markdown: str) -> str:
    """Each ``!!! requirement "/req/..."`` block preceded by an element whose id links to it."""
    lines = []
    for line in markdown.splitlines():
        match = _BLOCK.match(line)
        if match:
            lines += [f'<a id="{requirement_anchor(match.group("id"))}"></a>', ""]
        lines.append(line)
    return "\n".join(lines) + "\n"


def _note(component: Component, lang: Lang) -> list[str]:
    page = version_page(component.name, component.version, "index")
    requirements = link(page, version_page(component.name, component.version, "requirements"))
    path = f"spec/{component.name}/{component.version}/index.md"
    body = label(lang, "normative_note", path=path, requirements=requirements)
    return [f'!!! info "{label(lang, "normative_note_title")}"', "", f"    {body}", ""]


def spec_page(component: Component, markdown: str | None, lang: Lang) -> str:
    """The spec text with anchors and a note; a placeholder page when the spec is not written yet."""
    if markdown is None:
        path = f"spec/{component.name}/{component.version}/index.md"
        title = heading(1, component.key.replace("@", " "))
        body = label(lang, "no_spec", key=component.key, path=path)
        return "\n".join([title, "", f'!!! warning "{label(lang, "no_spec_title")}"', "", f"    {body}", ""])
    lines = with_anchors(markdown).splitlines()
    title_at = next((i for i, line in enumerate(lines) if _TITLE.match(line)), None)
    if title_at is None:
        lines = [heading(1, component.key.replace("@", " ")), "", *lines]
        title_at = 0
    return "\n".join([*lines[: title_at + 1], "", *_note(component, lang), *lines[title_at + 1 :]]) + "\n"
