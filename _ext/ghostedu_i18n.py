"""The book's translated editions (loaded through ``sphinx: local_extensions`` in _config.yml).

The English pages and notebooks are the only source. A translated edition (the Chinese one, built by
``python -m booktools.i18n build`` with the settings of ``_config.zh.yml``) is the same build with
``language`` set and the messages of ``locales/<language>/LC_MESSAGES/<document>.po``. This extension
makes that work for this book:

1. Glue in translated text. Sphinx parses each translated message again, alone, as a new piece of
   MyST; that piece has no notebook, so a ``{glue:text}`key:fmt``` role in it finds no glue data
   ("No key ... found in glue data") and the number would vanish. The ``glue`` roles are replaced
   by ones that, in such a piece, glue from the document being read: they become myst-nb's
   document-qualified form (``{glue:text}`/chapters/x.ipynb::key:fmt```), resolved from the glue
   data the notebook stored. Every message of every page is handled here, once.
2. The docstrings of the API reference (autodoc) stay English: they are not translatable messages.
3. A link to the same page in the other edition, at the top of every page (``ghostedu_editions``).
4. Chinese search: Sphinx splits Chinese text into words with jieba. Its default dictionary cuts
   深度可分离卷积 into 深度/可/分离/卷积, so a search for 深度可分离 would find nothing; a user
   dictionary made of the glossary's Chinese terms keeps each term one word. jieba's own
   dictionary ships with it (nothing is downloaded); its cache is written beside the doctrees.
5. Chinese pages name CJK fonts before the generic family (``_ext/static/ghostedu-zh.css``; not
   in ``_static``, whose style sheets Jupyter Book puts on every page of every edition).
   The theme's own words: Sphinx's and pydata-sphinx-theme's come from the catalog domain
   ``sphinx`` (``locales/<language>/LC_MESSAGES/sphinx.po`` comes first, as Sphinx does it);
   sphinx-book-theme's from ``booktheme.po`` beside it, put here before the theme's own catalog.
   ``templates/`` holds the edition link and the theme's two sidebar buttons, whose tooltips it
   writes without translating them.
6. myst-nb writes a build's notebook outputs and glue data beside its doctrees (as it does for the
   English build, ``_build/jupyter_execute``), so that the Chinese edition, whose HTML goes inside
   the English one (``_build/html/zh``), keeps them in its own folder (``_build/zh``).
7. Exercise titles. sphinx-exercise parses the title of ``{exercise} Title`` into an
   ``exercise_subtitle`` node with neither source text nor source file, and Sphinx translates
   only text nodes that have both (``sphinx.util.nodes.is_translatable``): the titles were never
   extracted nor translated. The ``exercise`` directives are replaced by ones that give the node
   the title's MyST text and its place, so that ``Locale`` puts the title's translation in it.
   Messages are extracted after sphinx-exercise's post-transforms, which move the title's nodes
   out of that node: for the gettext builder, ``ExerciseTitleMessages`` first wraps them in one
   translatable node, so that each title is a message of its page's catalog. sphinx-exercise
   titles a solution ("Solution to Exercise 3 (Title)") from the copy of the exercise it kept
   when the directive ran, before any translation: ``TranslatedExerciseTitles`` gives that copy
   the translated title.
8. The captions of the table of contents (``_toc.yml``'s ``caption:``, "Efficient blocks"...).
   sphinx-external-toc inserts the root page's toctrees in a transform (priority 100) that runs
   after ``Locale`` (20), so their captions, extracted into the root page's catalog, were never
   translated: ``TranslatedTocCaptions`` gives them their translation from that catalog.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging as sphinx_logging

LOGGER = sphinx_logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent

# A glossary line ``depthwise separable convolution 深度可分离卷积`` (terms start at the line's
# beginning; definitions are indented). Chinese names are runs of CJK characters.
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


# --- 1. glue in translated messages -------------------------------------------------------------


def _glue_role(base, default_format: str | None):
    """The myst-nb glue role ``base`` (a class), made to work inside a translated message.

    ``default_format``: what the role assumes when its text has no ``:format`` (``{glue:text}``'s
    ``s``); the document-qualified form must spell it out, since ``path::key`` has a colon.
    """

    class TranslatedGlue(base):
        __doc__ = f"{base.__doc__}\n\n    In a translated message, glue from the document being read."

        def run(self):
            env = getattr(self.document.settings, "env", None)
            if env is not None and "nb_renderer" not in self.document and "::" not in self.text:
                # Sphinx re-parses a translated message without its notebook: name the notebook.
                text = self.text
                if default_format and ":" not in text:
                    text = f"{text}:{default_format}"
                self.text = f"/{env.doc2path(env.docname, False)}::{text}"
            return super().run()

    TranslatedGlue.__name__ = f"Translated{base.__name__}"
    return TranslatedGlue


def _add_glue_roles(app: Sphinx) -> None:
    from myst_nb.ext.glue.roles import PasteRoleAny, PasteTextRole

    for name, base, default_format in (
        ("text", PasteTextRole, "s"),
        ("any", PasteRoleAny, None),
        ("", PasteRoleAny, None),
    ):
        app.add_role_to_domain("glue", name, _glue_role(base, default_format)(), override=True)


# --- 2. docstrings stay English -----------------------------------------------------------------


class UntranslatedDocstrings(SphinxTransform):
    """Mark what autodoc wrote (docstrings, object descriptions) as not translatable.

    Field names such as "Parameters" are Sphinx's own words, which it translates itself.
    """

    default_priority = 10  # sphinx.transforms.i18n.Locale runs at 20

    def apply(self, **kwargs) -> None:
        for desc in self.document.findall(addnodes.desc):
            for node in desc.findall(nodes.TextElement):
                node["translatable"] = False
        for node in self.document.findall(nodes.TextElement):
            if "docstring of " in (node.source or ""):
                node["translatable"] = False


# --- 3. the other edition's page ----------------------------------------------------------------


def _edition_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """``ghostedu_edition_link``: this page in the other edition (a relative link)."""
    other = app.config.ghostedu_editions.get(_language(app.config))
    if not other:
        return
    up = "../" * pagename.count("/")
    context["ghostedu_edition_link"] = {
        "url": f"{up}{other['root']}{pagename}{app.builder.link_suffix}",
        "text": other["text"],
        "title": other["title"],
        "lang": other["lang"],
    }


def _add_edition_switch(app: Sphinx, config: Config) -> None:
    # First: the themes add their own components folders to templates_path, and the first match wins.
    config.templates_path = [str(HERE / "templates"), *config.templates_path]
    options = dict(config.html_theme_options or {})
    end = options.get("article_header_end", ["article-header-buttons.html"])
    end = [end] if isinstance(end, str) else list(end)
    if "ghostedu-edition-switch.html" not in end:
        options["article_header_end"] = ["ghostedu-edition-switch.html", *end]
    config.html_theme_options = options


def _language(config: Config) -> str:
    return (config.language or "en").replace("-", "_")


# --- 4. Chinese search --------------------------------------------------------------------------


def glossary_terms(glossary: Path) -> list[str]:
    """The Chinese names of the glossary's terms, e.g. ``深度可分离卷积`` (in order, no repeats)."""
    text = glossary.read_text(encoding="utf-8")
    block = re.search(r"^```\{glossary\}.*?\n(.*?)^```", text, flags=re.S | re.M)
    if block is None:
        raise ValueError(f"{glossary}: no ```{{glossary}} block to take the search terms from")
    terms: list[str] = []
    for line in block.group(1).splitlines():
        if line and not line[0].isspace():
            for word in CJK_RUN.findall(line):
                if len(word) > 1 and word not in terms:
                    terms.append(word)
    return terms


def _chinese_search(app: Sphinx, config: Config) -> None:
    if not _language(config).startswith("zh") or (config.html_search_options or {}).get("dict"):
        return
    try:
        import jieba
    except ImportError:  # Sphinx would index Latin words only: say so instead
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            "ghostedu_i18n: the Chinese edition's search needs jieba (pip install -r requirements.txt)"
        ) from None
    jieba.setLogLevel(logging.WARNING)
    cache = Path(app.doctreedir).parent / "jieba"
    cache.mkdir(parents=True, exist_ok=True)
    jieba.dt.tmp_dir = str(cache)
    terms = glossary_terms(Path(app.srcdir) / config.ghostedu_glossary)
    userdict = cache / "glossary_terms.txt"
    # jieba's user dictionary: one word a line, with a frequency high enough that it stays whole.
    text = "".join(f"{term} 100000 n\n" for term in terms)
    if not userdict.is_file() or userdict.read_text(encoding="utf-8") != text:
        userdict.write_text(text, encoding="utf-8")
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(userdict)}


# --- 5, 6. fonts and myst-nb's output folder ----------------------------------------------------


def _theme_words(app: Sphinx) -> None:
    """``booktheme.po`` (sphinx-book-theme's words) first, the theme's own catalog after it."""
    from sphinx import locale
    from sphinx.util.i18n import CatalogInfo

    language = app.config.language
    for folder in app.config.locale_dirs:
        base = Path(app.srcdir, folder)
        info = CatalogInfo(str(base / language / "LC_MESSAGES"), "booktheme", app.config.source_encoding)
        if not Path(info.po_path).is_file():
            continue
        if info.is_outdated():
            info.write_mo(language)
        theirs = locale.translators.pop(("general", "booktheme"), None)
        ours, _ = locale.init([str(base)], language, "booktheme")
        if theirs is not None and theirs is not ours:
            ours.add_fallback(theirs)


def _chinese_fonts(app: Sphinx, config: Config) -> None:
    if _language(config).startswith("zh"):
        config.html_static_path = [*config.html_static_path, str(HERE / "static")]


def _builder_inited(app: Sphinx) -> None:
    if _language(app.config) != "en":
        _theme_words(app)
    if _language(app.config).startswith("zh") and app.builder.format == "html":
        app.add_css_file("ghostedu-zh.css")
    nb_config = getattr(app.env, "mystnb_config", None)
    if nb_config is not None:
        app.env.mystnb_config = nb_config.copy(
            output_folder=str((Path(app.doctreedir).parent / "jupyter_execute").resolve())
        )


# --- 7. exercise titles ------------------------------------------------------------------------


def _exercise_subtitle(node):
    """The ``exercise_subtitle`` of an exercise node's title, or None (an exercise without title)."""
    from sphinx_exercise.nodes import exercise_subtitle, exercise_title

    title = node.children[0] if node.children else None
    if isinstance(title, exercise_title) and len(title) > 1 and isinstance(title[1], exercise_subtitle):
        return title[1]
    return None


def _translatable_exercise(base):
    """sphinx-exercise's directive ``base`` (``exercise``, ``exercise-start``), whose title, the
    directive's argument, is a translatable message: its node gets the argument's MyST text and
    its source file and line."""

    class TranslatableExercise(base):
        __doc__ = f"{base.__doc__}\n\n    Its title is a translatable message."

        def run(self):
            result = super().run()
            if not self.arguments:
                return result
            for node in result:
                subtitle = _exercise_subtitle(node)
                if subtitle is not None:
                    subtitle.rawsource = self.arguments[0]
                    self.set_source_info(subtitle)
            return result

    TranslatableExercise.__name__ = f"Translatable{base.__name__}"
    return TranslatableExercise


class TranslatedExerciseTitles(SphinxTransform):
    """Give sphinx-exercise's registered copy of each exercise the title the page shows (translated
    by ``Locale``), from which it titles the exercise's solution."""

    default_priority = 21  # after sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs) -> None:
        from sphinx_exercise.nodes import is_exercise_node

        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in self.document.findall(is_exercise_node):
            subtitle = _exercise_subtitle(node)
            entry = registry.get(node.get("label"), {})
            registered = entry.get("node")
            if subtitle is None or not subtitle.get("translated") or registered is None:
                continue
            if entry.get("docname") == self.env.docname and _exercise_subtitle(registered) is not None:
                registered.children[0][1] = subtitle.deepcopy()


class ExerciseTitleMessages(SphinxPostTransform):
    """For the gettext builder: keep each exercise title a message through sphinx-exercise's own
    post-transform, which moves the title's nodes out of its ``exercise_subtitle`` into a plain
    title before the messages are extracted. The nodes are wrapped in one translatable inline
    node with the title's MyST text (only here: the pages themselves are left as they are)."""

    builders = ("gettext",)
    default_priority = 19  # before sphinx_exercise's ResolveTitlesInExercises (20)

    def run(self, **kwargs) -> None:
        from sphinx_exercise.nodes import exercise_subtitle

        for subtitle in list(self.document.findall(exercise_subtitle)):
            if not (subtitle.rawsource and subtitle.source and hasattr(subtitle, "uid")):
                continue
            message = nodes.inline(subtitle.rawsource, "", *subtitle.children, translatable=True)
            message.source, message.line = subtitle.source, subtitle.line
            # The builder takes messages only from nodes to which Sphinx's versioning gave an id.
            message.uid = subtitle.uid
            subtitle.children = []
            subtitle += message


class TranslatedTocCaptions(SphinxTransform):
    """The translation of each toctree caption that sphinx-external-toc inserted after ``Locale``."""

    default_priority = 101  # after sphinx_external_toc's InsertToctrees (100)

    def apply(self, **kwargs) -> None:
        if not self.config.language or self.config.language == "en":
            return
        from sphinx import locale
        from sphinx.util.i18n import docname_to_domain

        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [str(Path(self.env.srcdir, d)) for d in self.config.locale_dirs]
        catalog, found = locale.init(dirs, self.config.language, domain)
        if not found:
            return
        for toctree in self.document.findall(addnodes.toctree):
            caption = toctree.get("rawcaption") or toctree.get("caption")
            if caption:
                toctree.apply_translated_message(caption, catalog.gettext(caption))


def _add_exercise_directives(app: Sphinx) -> None:
    app.setup_extension("sphinx_exercise")
    from sphinx_exercise.directive import ExerciseDirective, ExerciseStartDirective

    for base in (ExerciseDirective, ExerciseStartDirective):
        app.add_directive(base.name, _translatable_exercise(base), override=True)
    app.add_transform(TranslatedExerciseTitles)
    app.add_post_transform(ExerciseTitleMessages)


def setup(app: Sphinx) -> dict:
    # Each edition: the link from a page to the same page in the other one ("root" is the other
    # edition's folder seen from this one's). The Chinese edition is built into _build/html/zh.
    app.add_config_value(
        "ghostedu_editions",
        {
            "en": {"root": "zh/", "text": "中文", "title": "本页的中文版", "lang": "zh-CN"},
            "zh_CN": {"root": "../", "text": "English", "title": "This page in English", "lang": "en"},
        },
        "html",
    )
    app.add_config_value("ghostedu_glossary", "glossary.md", "html")
    app.setup_extension("myst_nb")
    _add_glue_roles(app)
    _add_exercise_directives(app)
    app.add_transform(UntranslatedDocstrings)
    app.add_transform(TranslatedTocCaptions)
    app.connect("config-inited", _add_edition_switch)
    app.connect("config-inited", _chinese_search)
    app.connect("config-inited", _chinese_fonts)
    app.connect("builder-inited", _builder_inited, priority=600)  # after myst-nb's own
    app.connect("html-page-context", _edition_link)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
