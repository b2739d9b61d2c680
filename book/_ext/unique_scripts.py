"""A Sphinx extension of the course's book: each page lists every script once.

sphinx-thebe 0.3.1, which Jupyter Book 1 always loads, registers its inline configuration
script (``const THEBE_JS_URL = ...``) in a way that Sphinx 7 puts on every page twice, and
the browser then reports "Identifier 'THEBE_JS_URL' has already been declared". Keeping the
first copy of each script (same file or body, same attributes) removes the error.
"""


def keep_first_copy_of_each_script(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # The same inline script arrives once with filename None and once with "".
        key = (str(script.filename or ""), tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", keep_first_copy_of_each_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
