"""The book's translated editions: message catalogs, their completeness, and the translated build.

The English pages and notebooks are the only source. Sphinx's gettext builder extracts their
messages (paragraphs, headings, list items, table cells, admonitions, captions, glossary entries,
with their MyST markup: ``{glue:text}`` roles, ``{term}``, math, inline code); code cells and their
outputs are not messages. Each document has its own catalog,
``locales/<language>/LC_MESSAGES/<document>.po`` (e.g. ``chapters/04_depthwise.po``), read with
sphinx-intl and babel. A translated edition is the same Jupyter Book build with the settings of its
own config file (``_config.zh.yml``) merged over ``_config.yml``.

Commands (``python -m booktools.i18n COMMAND``; ``make translations``, ``make book`` and
``make test`` run them):

* ``update`` -- extract the messages and bring every catalog up to date: new messages are added
  untranslated; a message whose English changed keeps its old translation marked *fuzzy*, with the
  old English beside it (``#| msgid``); messages gone from the source stay at the end as obsolete
  (``#~``). A message with nothing to translate (only code, math, numbers, symbols, glue) is filled
  in with itself. Then print what is left to translate, per document.
* ``stats`` -- print that table without extracting.
* ``check`` -- extract the messages and fail unless every document the edition requires complete
  (``complete`` in its config) has every current message translated, none fuzzy, none obsolete.
* ``build [--strict]`` -- build the edition into ``_build/html/<folder>`` (``--strict``: ``-W -n
  --keep-going``, as ``make test`` builds the English one).

Build folders: the messages are extracted into ``_build/gettext/pot``; the edition is built from its
own doctrees and notebook outputs in ``_build/<folder>/``, and its HTML is written inside the
English one, at ``_build/html/<folder>/`` (one site, two editions).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from ghostedu.tables import Table

from .files import atomic_write

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = {"zh_CN": ROOT / "_config.zh.yml"}
LOCALES = ROOT / "locales"
BUILD = ROOT / "_build"
POT = BUILD / "gettext" / "pot"
# What the Jupyter Book command line sets besides the config (jupyter_book/cli/main.py).
JB_OVERRIDES = {"external_toc_path": str(ROOT / "_toc.yml"), "latex_individualpages": False}
# Code spans, math, roles with their targets and URLs: what a translator leaves as it is.
NOT_WORDS = re.compile(r"\{[\w:.-]+\}`[^`]*`|``[^`]*``|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|https?://\S+", re.S)
HEADER = """\
# ghostedu, {language} edition: the messages of {doc}.
# Written by `make translations` from the English source. Translate
# each msgstr. A message marked fuzzy changed in English (the old
# English is on its #| lines): check its translation, then remove
# the mark. README, "The Chinese edition".
#"""
# Catalogs of words that are not in any page: Sphinx's and the themes' (written by hand; see
# _ext/ghostedu_i18n.py). The gettext build's own sphinx.pot (words of the templates) is not used.
THEME_CATALOGS = ("sphinx", "booktheme")


class CatalogError(Exception):
    """A catalog or an edition's config is missing or cannot be read."""


@dataclass(frozen=True)
class Edition:
    """A translated edition, from its config file (``_config.zh.yml``)."""

    language: str  # Sphinx's language, e.g. "zh_CN"
    folder: str  # its place in _build/html, e.g. "zh"
    complete: tuple[str, ...] | None  # documents required complete; None: every document
    sphinx_config: dict  # Sphinx settings merged over _config.yml's
    locales: Path = LOCALES

    @property
    def html(self) -> Path:
        return BUILD / "html" / self.folder

    @property
    def doctrees(self) -> Path:
        # myst-nb keeps the build's notebook outputs beside it (_ext/ghostedu_i18n.py).
        return BUILD / self.folder / ".doctrees"

    @property
    def catalogs(self) -> Path:
        return self.locales / self.language / "LC_MESSAGES"


def load_edition(language: str = "zh_CN") -> Edition:
    """The edition of ``language`` as its config file describes it."""
    if language not in EDITIONS:
        raise CatalogError(f"no edition for language {language!r}; known: {sorted(EDITIONS)}")
    path = EDITIONS[language]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    edition = data.get("edition") or {}
    config = dict((data.get("sphinx") or {}).get("config") or {})
    if config.get("language") != language:
        raise CatalogError(f"{path}: sphinx.config.language must be {language!r}, got {config.get('language')!r}")
    complete = edition.get("complete", "all")
    if complete != "all" and not (isinstance(complete, list) and all(isinstance(d, str) for d in complete)):
        raise CatalogError(f"{path}: edition.complete must be 'all' or a list of documents, got {complete!r}")
    return Edition(
        language,
        str(edition.get("folder") or language.split("_")[0]),
        None if complete == "all" else tuple(complete),
        config,
    )


# --- building -----------------------------------------------------------------------------------


def sphinx_build(
    builder: str,
    outdir: Path,
    doctrees: Path,
    overrides: dict,
    strict: bool = False,
    quiet: bool = False,
    warning_file: Path | None = None,
) -> int:
    """One Jupyter Book build (the same configuration as ``jupyter-book build .``), in this process.

    ``warning_file``: write Sphinx's warnings there instead of to stderr.
    """
    from jupyter_book.sphinx import build_sphinx

    overrides = {**JB_OVERRIDES, **overrides}
    if strict:
        overrides["nitpicky"] = True
    with contextlib.ExitStack() as stack:
        if warning_file is not None:
            stack.enter_context(
                contextlib.redirect_stderr(stack.enter_context(open(warning_file, "w", encoding="utf-8")))
            )
        result = build_sphinx(
            ROOT,
            outdir,
            noconfig=True,
            path_config=str(ROOT / "_config.yml"),
            confoverrides=overrides,
            doctreedir=doctrees,
            builder=builder,
            warningiserror=strict,
            keep_going=strict,
            quiet=quiet,
        )
    return result if isinstance(result, int) else 1


def extract(quiet: bool = True) -> Path:
    """Write one ``.pot`` per document into ``_build/gettext/pot``; return that folder."""
    if sphinx_build("gettext", POT, BUILD / "gettext" / ".doctrees", {}, quiet=quiet) != 0:
        raise CatalogError("the gettext build failed (see the messages above)")
    return POT


def build(edition: Edition, strict: bool = False) -> int:
    return sphinx_build("html", edition.html, edition.doctrees, edition.sphinx_config, strict=strict)


# --- catalogs -----------------------------------------------------------------------------------


def has_words(message: str) -> bool:
    """Whether a message has anything to translate once code, math, roles and URLs are left out."""
    rest = NOT_WORDS.sub(" ", message)
    return any(unicodedata.category(ch).startswith("L") for ch in rest)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _read(path: Path):
    from sphinx_intl.catalog import load_po

    try:
        catalog = load_po(str(path))
    except Exception as err:  # babel's parse errors name no file
        raise CatalogError(f"{path}: cannot read the catalog: {err}") from err
    for message in [*catalog, *catalog.obsolete.values()]:
        _restore_previous(message)
    return catalog


_PO_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _restore_previous(message) -> None:
    """babel reads a fuzzy message's old English (its ``#| msgid`` lines) as a translator comment
    ``"| msgid ..."``, and would write it back as such (``# | ...``), wrapped, on the next update:
    take it back as the message's ``previous_id``. (These catalogs carry no translator comments.)"""
    from babel.messages.pofile import unescape

    previous = [c[1:].strip() for c in message.user_comments if c.startswith("|")]
    message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
    if previous and not message.previous_id:
        text = " ".join(previous).removeprefix("msgid").strip()
        message.previous_id = ["".join(unescape(f'"{s}"') for s in _PO_STRING.findall(text))]


def _po_bytes(catalog) -> bytes:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=76, include_previous=True, omit_header=False)
    return buffer.getvalue()


def documents(folder: Path, suffix: str = ".pot") -> list[str]:
    """The documents with a catalog in ``folder``, e.g. ``intro``, ``chapters/04_depthwise``."""
    names = (p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob(f"*{suffix}"))
    return sorted(name for name in names if name not in THEME_CATALOGS)


def update_catalogs(edition: Edition, pot_dir: Path) -> dict[str, str]:
    """Merge each ``.pot`` into its ``.po`` (created when missing); return what happened to each."""
    what = {}
    for doc in documents(pot_dir):
        pot = _read(pot_dir / f"{doc}.pot")
        po_path = edition.catalogs / f"{doc}.po"
        if po_path.is_file():
            catalog = _read(po_path)
            before = po_path.read_bytes()
            previous = {m.id: m.previous_id for m in catalog if m.id and m.fuzzy and m.previous_id}
            catalog.update(pot, update_creation_date=False)
            for message in catalog:  # an exact match loses the old English babel showed with it
                if message.fuzzy and not message.previous_id and message.id in previous:
                    message.previous_id = previous[message.id]
            for key in [k for k, m in catalog.obsolete.items() if not m.string]:
                del catalog.obsolete[key]  # gone, and never translated: nothing to reuse
        else:
            catalog, before = pot, None
            catalog.locale = edition.language
        catalog.project, catalog.version, catalog.fuzzy = "ghostedu", "", False
        catalog.header_comment = HEADER.format(doc=doc, language=edition.language)
        for message in catalog:
            if message.id and not message.string and not has_words(message.id):
                message.string = message.id  # nothing to translate
        data = _po_bytes(catalog)
        if data != before:
            po_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(po_path, data)
            what[doc] = "created" if before is None else "updated"
        else:
            what[doc] = "unchanged"
    return what


@dataclass
class DocStats:
    doc: str
    messages: int = 0
    translated: int = 0
    fuzzy: int = 0
    untranslated: int = 0
    obsolete: int = 0
    missing: int = 0  # current messages the catalog does not have (catalogs not updated)
    stale: int = 0  # catalog messages no longer in the source (catalogs not updated)

    @property
    def complete(self) -> bool:
        return self.messages > 0 and not (
            self.fuzzy or self.untranslated or self.obsolete or self.missing or self.stale
        )


def doc_stats(edition: Edition, doc: str, pot_dir: Path | None = None) -> DocStats:
    """Counts for one document's catalog; with ``pot_dir``, also against the current source."""
    stats = DocStats(doc)
    po_path = edition.catalogs / f"{doc}.po"
    catalog = _read(po_path) if po_path.is_file() else None
    current = None
    if pot_dir is not None:
        current = {m.id for m in _read(pot_dir / f"{doc}.pot") if m.id}
    if catalog is None:
        stats.messages = stats.untranslated = stats.missing = len(current or ())
        return stats
    ids = {m.id for m in catalog if m.id}
    for message in catalog:
        if not message.id:
            continue
        stats.messages += 1
        if message.fuzzy:
            stats.fuzzy += 1
        elif message.string:
            stats.translated += 1
        else:
            stats.untranslated += 1
    stats.obsolete = len(catalog.obsolete)
    if current is not None:
        stats.missing = len(current - ids)
        stats.stale = len(ids - current)
    return stats


def table(rows: list[DocStats]) -> str:
    """The per-document counts as a text table (ghostedu's one table type), with a total row."""
    if not rows:
        return "no catalogs"
    fields = ("messages", "translated", "fuzzy", "untranslated", "obsolete")
    total = DocStats("total")
    for r in rows:
        for field in fields:
            setattr(total, field, getattr(total, field) + getattr(r, field))

    def cells(r: DocStats) -> list[object]:
        note = ""
        if r.missing or r.stale:
            note = f"out of date: {r.missing} new, {r.stale} gone; run `make translations`"
        return [r.doc, *(getattr(r, f) for f in fields), note]

    return str(Table(["document", *fields, ""], [*map(cells, rows), cells(total)], right=range(1, 6)))


def required(edition: Edition, docs: list[str]) -> list[str]:
    """The documents that must be complete: ``edition.complete``, or every document."""
    if edition.complete is None:
        return docs
    unknown = sorted(set(edition.complete) - set(docs))
    if unknown:
        raise CatalogError(
            f"{EDITIONS[edition.language].name}: edition.complete names documents that have no messages: {unknown}"
        )
    return list(edition.complete)


def problems(edition: Edition, pot_dir: Path) -> list[str]:
    """What keeps the required catalogs from being complete (empty: complete)."""
    out = []
    for doc in required(edition, documents(pot_dir)):
        s = doc_stats(edition, doc, pot_dir)
        po = _shown(edition.catalogs / f"{doc}.po")
        if not (edition.catalogs / f"{doc}.po").is_file():
            out.append(f"{po}: missing ({s.missing} messages; run `make translations`)")
            continue
        for n, what in (
            (s.missing, "new in the source, not in the catalog (run `make translations`)"),
            (s.stale, "in the catalog but gone from the source (run `make translations`)"),
            (s.untranslated, "untranslated"),
            (s.fuzzy, "fuzzy (the English changed: check the translation, then remove the fuzzy flag)"),
            (s.obsolete, "obsolete (#~ entries: reuse what helps, then delete them)"),
        ):
            if n:
                out.append(f"{po}: {n} message(s) {what}")
    for name in THEME_CATALOGS:
        path = edition.catalogs / f"{name}.po"
        if path.is_file():
            s = doc_stats(edition, name)
            for n, what in ((s.untranslated, "untranslated"), (s.fuzzy, "fuzzy"), (s.obsolete, "obsolete")):
                if n:
                    out.append(f"{_shown(path)}: {n} message(s) {what}")
    return out


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booktools.i18n", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("update", "stats", "check", "build"))
    parser.add_argument("--language", default="zh_CN", choices=sorted(EDITIONS))
    parser.add_argument("--strict", action="store_true", help="build: -W -n --keep-going")
    args = parser.parse_args(argv)
    try:
        edition = load_edition(args.language)
        if args.command == "build":
            status = build(edition, strict=args.strict)
            if status == 0:
                print(f"The {edition.language} edition is at {edition.html / 'index.html'}")
            return status
        if args.command == "stats":
            print(table([doc_stats(edition, d) for d in documents(edition.catalogs, ".po")]))
            return 0
        pot_dir = extract()
        if args.command == "update":
            for doc, what in update_catalogs(edition, pot_dir).items():
                if what != "unchanged":
                    print(f"{what}: {_shown(edition.catalogs / f'{doc}.po')}")
            print(table([doc_stats(edition, d, pot_dir) for d in documents(pot_dir)]))
            return 0
        found = problems(edition, pot_dir)
        scope = "every document" if edition.complete is None else ", ".join(edition.complete)
        if found:
            print(f"The {edition.language} catalogs are not complete ({scope}):", *found, sep="\n  ", file=sys.stderr)
            return 1
        print(f"The {edition.language} catalogs are complete ({scope}).")
        return 0
    except CatalogError as err:
        print(f"booktools.i18n: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
