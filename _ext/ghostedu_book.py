"""Small Sphinx fixes for the ghostedu book (loaded through ``sphinx: local_extensions`` in _config.yml).

1. Offline MathJax: the book serves MathJax 3 from its own ``_static/mathjax`` folder, copied from the
   ``sphinx-mathjax-offline`` package (pinned in requirements.txt), and ``mathjax_path`` points there.
   No page loads anything from a CDN.
2. No duplicate ``<script>`` tags: on the stock Jupyter Book 1.x stack some inline scripts are registered
   twice with different priorities (sphinx-thebe's ``const THEBE_JS_URL = ...`` among them), and the
   second ``const`` declaration is a JavaScript error in the browser console on every page. Each page's
   scripts (and style sheets) are de-duplicated here, keeping the first of each.
3. Interactive explorers: ``_static/explorers.js`` and ``_static/explorers.css`` are loaded on every
   page. A cell output of ``ghostedu.viz.explorer`` is a ``<div class="ghostedu-explorer">`` with
   its config; the script builds the widget from it. The output's note links to the chapter's page
   in ``_build/html`` (right from a notebook in ``chapters/``); in the built page the link is made
   relative to the page itself.
4. ``.. ghostedu-automodules:: PACKAGE`` (inside an ``{eval-rst}`` block): an ``automodule`` for every
   public submodule of PACKAGE, so that the API reference lists each chapter's exercise checks without
   being edited when a chapter adds its module. A page that uses it is re-read on every build.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import posixpath
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

MATHJAX_DISTRIBUTION = "sphinx-mathjax-offline"
# Inside that distribution: <static>/mathjax/tex-chtml.js (TeX input, CommonHTML output, fonts beside it).
MATHJAX_STATIC = "sphinx-mathjax-offline/static"
MATHJAX_PATH = "mathjax/tex-chtml.js"


def mathjax_static_dir() -> Path:
    """The folder that holds ``mathjax/`` in the installed ``sphinx-mathjax-offline`` package."""
    try:
        dist = importlib.metadata.distribution(MATHJAX_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as err:
        raise ExtensionError(
            f"ghostedu_book: the package {MATHJAX_DISTRIBUTION!r} (offline MathJax) is not installed; "
            "run `pip install -r requirements.txt`."
        ) from err
    static = Path(str(dist.locate_file(MATHJAX_STATIC)))
    if not (static / MATHJAX_PATH).is_file():
        raise ExtensionError(f"ghostedu_book: {static / MATHJAX_PATH} is missing from {MATHJAX_DISTRIBUTION!r}.")
    return static


def _use_offline_mathjax(app: Sphinx, config: Config) -> None:
    config.html_static_path = [*config.html_static_path, str(mathjax_static_dir())]
    config.mathjax_path = MATHJAX_PATH


EXPLORER_FILES = {"html_js_files": "explorers.js", "html_css_files": "explorers.css"}
_EXPLORER_LINK = re.compile(r'(class="ghostedu-explorer-link" href=")\.\./_build/html/([^"#]+)\.html')


def _load_explorers(app: Sphinx, config: Config) -> None:
    for setting, filename in EXPLORER_FILES.items():
        if filename not in [f if isinstance(f, str) else f[0] for f in getattr(config, setting)]:
            setattr(config, setting, [*getattr(config, setting), filename])


def _explorer_links(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    body = context.get("body")
    if body and "ghostedu-explorer-link" in body:
        here = posixpath.dirname(app.builder.get_target_uri(pagename))
        context["body"] = _EXPLORER_LINK.sub(
            lambda m: m.group(1) + posixpath.relpath(app.builder.get_target_uri(m.group(2)), here or "."), body
        )


def _asset_key(asset) -> tuple:
    # An inline script's filename is None from one extension and "" from another: the same script.
    filename = getattr(asset, "filename", asset) or ""
    attributes = getattr(asset, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _dedupe(assets) -> list:
    seen: set[tuple] = set()
    kept = []
    for asset in sorted(assets, key=lambda a: getattr(a, "priority", 500)):
        key = _asset_key(asset)
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    return kept


def _dedupe_page_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    for name in ("script_files", "css_files"):
        if name in context:
            context[name] = _dedupe(context[name])


class AutoModules(SphinxDirective):
    """``.. ghostedu-automodules:: ghostedu.exercises``: one ``automodule`` per public submodule."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        package = importlib.import_module(self.arguments[0])
        names = sorted(
            info.name
            for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")
            if not info.name.rsplit(".", 1)[1].startswith("_")
        )
        lines = []
        for name in names:
            lines += [f".. automodule:: {name}", ""]
        if not hasattr(self.env, "ghostedu_always_read"):
            self.env.ghostedu_always_read = set()
        self.env.ghostedu_always_read.add(self.env.docname)
        container = nodes.container()
        self.state.nested_parse(
            StringList(lines, source=f"<{self.name} {package.__name__}>"), self.content_offset, container
        )
        return container.children


def _always_read(app: Sphinx, env, added, changed, removed) -> list[str]:
    # New modules appear without any file of the page changing: re-read the page every time.
    return sorted(getattr(env, "ghostedu_always_read", set()) & env.found_docs - added - changed)


def _merge(app: Sphinx, env, docnames, other) -> None:
    env.ghostedu_always_read = getattr(env, "ghostedu_always_read", set()) | getattr(
        other, "ghostedu_always_read", set()
    )


def setup(app: Sphinx) -> dict:
    app.add_directive("ghostedu-automodules", AutoModules)
    app.connect("env-get-outdated", _always_read)
    app.connect("env-merge-info", _merge)
    app.connect("config-inited", _use_offline_mathjax)
    app.connect("config-inited", _load_explorers)
    app.connect("html-page-context", _explorer_links)
    # Late priority: after the theme and the other extensions have added their page assets.
    app.connect("html-page-context", _dedupe_page_assets, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
