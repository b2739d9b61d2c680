"""A Sphinx extension of the course's book: the references page's entries are list items.

docutils 0.21 writes each citation as ``<div role="doc-biblioentry">`` inside a ``<div
role="list">``. DPUB-ARIA 1.1 deprecated ``doc-biblioentry``, so screen readers and axe-core
no longer count those entries as the list's items, and axe reports the list as a critical
``aria-required-children`` violation. Giving each entry the role ``listitem`` (what DPUB-ARIA
1.1 recommends instead) makes the list whole again. Delete this extension when docutils
writes ``role="listitem"`` itself (tests/test_browser.py's axe audit of the references page
then passes without it).
"""

DEPRECATED_ROLE = 'role="doc-biblioentry"'


def entries_as_list_items(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and DEPRECATED_ROLE in body:
        context["body"] = body.replace(DEPRECATED_ROLE, 'role="listitem"')


def setup(app):
    app.connect("html-page-context", entries_as_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
