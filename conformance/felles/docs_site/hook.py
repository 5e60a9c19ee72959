"""mkdocs hook (``hooks:`` in ``mkdocs.yml``): add the generated reference to the site.

A thin adapter over :mod:`felles.docs_site.site`. mkdocs-static-i18n builds
the site once per language, re-running these events each time:

- ``on_config`` expands the nav entry ``reference/index.md`` into the
  generated reference section (titles in the language being built);
- ``on_files`` runs after the i18n plugin has chosen the files of that
  language (it rebuilds the file list, dropping anything added before it)
  and adds the generated pages as virtual files, ``<lang>/reference/...``,
  published under ``/reference/...`` for the default language and under
  ``/<lang>/reference/...`` for the others;
- ``on_post_page`` drops mkdocs-material's hreflang ``<link>`` s from each page's
  head (they make its JavaScript fetch ``sitemap.xml`` files that do not exist).

Defects of the standard are logged as warnings, so ``mkdocs build --strict``
fails and names them. The standard is read from the folder of ``mkdocs.yml``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Final, cast

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from felles.docs_site.labels import LANGUAGES, Lang, label
from felles.docs_site.layout import OVERVIEW
from felles.docs_site.site import Standard, load_standard, reference_nav, render
from felles.tools.lint import DEFAULT_CHECKS_DIR

log = get_plugin_logger("felles")

#: mkdocs-material's hreflang alternates in <head>. Its JavaScript fetches ``sitemap.xml`` next to
#: each one, which 404s when they are pages (as mkdocs-static-i18n makes them); the language
#: selector in the header links each page to its translation without them.
_HEAD_ALTERNATE: Final = re.compile(r'\s*<link rel="alternate" href="[^"]*" hreflang="[^"]*">')

#: The checks of a source checkout, else those of the installed package.
_CHECKS_IN_CHECKOUT: Final = Path("conformance") / "felles" / "runner" / "checks"

#: What one build run has read and logged. mkdocs loads a hook module afresh with each config
#: (so each rebuild of ``mkdocs serve`` starts empty); both language builds of a run share it.
_state: dict[str, Any] = {}


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


def _standard(config: MkDocsConfig) -> Standard:
    """The standard, read once per build run (both languages share it)."""
    root = _root(config)
    if _state.get("root") != root:
        checks = root / _CHECKS_IN_CHECKOUT
        standard = load_standard(root, checks if checks.is_dir() else DEFAULT_CHECKS_DIR)
        _state.update(root=root, standard=standard, logged=set())
        _warn(standard.problems)
    return cast(Standard, _state["standard"])


def _warn(problems: list[str]) -> None:
    logged: set[str] = _state.setdefault("logged", set())
    for problem in problems:
        if problem not in logged:
            logged.add(problem)
            log.warning(problem)


def _i18n(config: MkDocsConfig) -> tuple[Lang, Lang]:
    """(language being built, default language) as mkdocs-static-i18n has them."""
    plugin = config.plugins.get("i18n")
    default = getattr(plugin, "default_language", None) or "nb"
    current = getattr(plugin, "current_language", None) or default
    if current not in LANGUAGES or default not in LANGUAGES:
        raise PluginError(f"felles docs: languages must be among {LANGUAGES}, not {current!r}/{default!r}")
    return cast(Lang, current), cast(Lang, default)


def _expand(items: list[Any], section: list[Any], title: str) -> bool:
    """Replace the entry whose page is ``reference/index.md`` by ``section``; True when found."""
    for position, item in enumerate(items):
        if item == OVERVIEW:
            items[position] = {title: section}
            return True
        if isinstance(item, dict) and len(item) == 1:
            ((title, value),) = item.items()
            if value == OVERVIEW:
                item[title] = section
                return True
            if isinstance(value, list) and _expand(value, section, title):
                return True
    return False


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # The i18n plugin runs on_config again for each language on the same config: expand the nav
    # as mkdocs.yml wrote it each time, not the previous language's expansion.
    navs: dict[int, Any] = _state.setdefault("navs", {})
    original = navs.setdefault(id(config), copy.deepcopy(config.nav))
    if original is None:
        log.warning("mkdocs.yml has no nav; the generated reference is added without navigation")
        return config
    nav = copy.deepcopy(original)
    lang, _ = _i18n(config)
    if not _expand(nav, reference_nav(_standard(config), lang), label(lang, "reference")):
        log.warning(f"mkdocs.yml nav has no entry for {OVERVIEW}: the generated reference is not in the nav")
    config.nav = nav
    return config


def _virtual(config: MkDocsConfig, lang: Lang, default: Lang, path: str, markdown: str) -> File:
    page = File.generated(config, f"{lang}/{path}", content=markdown)
    if lang == default:  # the default language is published at the site root
        page.dest_uri = page.dest_uri.removeprefix(f"{lang}/")
    return page


@event_priority(-110)  # after mkdocs-static-i18n (-100), which rebuilds the file list per language
def on_files(files: Files, config: MkDocsConfig) -> Files:
    lang, default = _i18n(config)
    pages, problems = render(_standard(config), lang)
    _warn(problems)
    for page in pages:
        built = _virtual(config, lang, default, page.path, page.markdown)
        # What mkdocs-static-i18n records on the files it handles: the language switcher uses it.
        alternates = {
            other: _virtual(config, other, default, page.path, "") for other in LANGUAGES if other != lang
        }
        built.locale = built.localization = built.locale_alternate_of = lang  # type: ignore[attr-defined]
        built.norm_src_uri = page.path  # type: ignore[attr-defined]
        built.alternates = {lang: built, **alternates}  # type: ignore[attr-defined]
        files.append(built)
    return files


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """The page without the hreflang alternates in ``<head>`` (see :data:`_HEAD_ALTERNATE`)."""
    del page, config
    head, separator, body = output.partition("</head>")
    return _HEAD_ALTERNATE.sub("", head) + separator + body
