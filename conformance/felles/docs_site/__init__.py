"""The docs site's generated pages: reference, changelog and coverage, written from the standard.

Pure functions that return Markdown (:func:`felles.docs_site.site.render`),
so they are tested without mkdocs. ``hook.py`` is the thin mkdocs adapter
that adds the pages to the site at build time (``hooks:`` in ``mkdocs.yml``);
it is the only module here that imports mkdocs.
"""
