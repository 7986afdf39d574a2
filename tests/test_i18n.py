"""The Chinese edition: catalogs complete and current, glue kept in translated text, the two
editions linked page to page, Chinese search, no theme word left in English.

`make test` builds both editions (``_build/html`` and ``_build/html/zh``) before pytest runs; the
tests that read them are marked slow (``make unit`` leaves them out) and fail clearly when the
builds are missing. The browser checks of the Chinese pages (console, offline, images, math,
font) are in test_browser.py.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import pytest

from booktools import i18n

ROOT = Path(__file__).resolve().parents[1]
EDITION = i18n.load_edition("zh_CN")
EN = ROOT / "_build" / "html"
ZH = EDITION.html
GLUED = re.compile(r'<span class="pasted-text">(.*?)</span>', re.S)
GLUE_ROLE = re.compile(r"\{glue(:text|:any)?\}`")


def _require_builds():
    for folder, how in (
        (EN, "jupyter-book build . -W -n --keep-going"),
        (ZH, "python -m booktools.i18n build --strict"),
    ):
        if not (folder / "index.html").is_file():
            pytest.fail(f"{folder} is missing: build it first (`make test` does it: {how})")


def pages(folder: Path) -> list[str]:
    """Every document page of a built edition, e.g. ``chapters/04_depthwise``."""
    skip = {"genindex", "search", "py-modindex", "index"}
    out = []
    for path in sorted(folder.rglob("*.html")):
        rel = path.relative_to(folder)
        if rel.parts[0].startswith("_") or rel.parts[0] == EDITION.folder and folder == EN:
            continue
        name = rel.with_suffix("").as_posix()
        if name not in skip:
            out.append(name)
    return out


def glued(page_html: str) -> list[str]:
    """The values that myst-nb's ``{glue:text}`` put in a page, in order."""
    return [html.unescape(v) for v in GLUED.findall(page_html)]


# --- glue ---------------------------------------------------------------------------------------


@pytest.mark.slow  # reads the two built editions
def test_glued_values_are_the_same_in_both_editions():
    """On every page, the Chinese edition shows the numbers the English one shows, in order."""
    _require_builds()
    en_pages, zh_pages = pages(EN), pages(ZH)
    assert en_pages == zh_pages, "the two editions have different pages"
    total = 0
    for page in en_pages:
        en = glued((EN / f"{page}.html").read_text(encoding="utf-8"))
        zh = glued((ZH / f"{page}.html").read_text(encoding="utf-8"))
        assert zh == en, f"{page}: glued values differ between the editions:\n en {en}\n zh {zh}"
        total += len(en)
    assert total > 100, f"only {total} glued values in the whole book: is glue rendered at all?"


@pytest.fixture(scope="module")
def pot_dir():
    """The messages of the current source (``sphinx-build -b gettext``)."""
    return i18n.extract()


@pytest.mark.slow  # reads the two built editions
def test_every_glued_message_keeps_its_values_when_translated(pot_dir, tmp_path):
    """Every message with a glue role, in every document, translated (a marker put before it) and
    built: no glue warning, and the glued values of each page equal the English edition's.

    Sphinx re-parses a translated message alone, without its notebook; without
    _ext/ghostedu_i18n.py's glue roles every value in such a message is lost. This proves the
    fix on all of them, whatever the real catalogs have translated so far.
    """
    _require_builds()
    locales = tmp_path / "locales"
    translated = 0
    for doc in i18n.documents(pot_dir):
        catalog = i18n._read(pot_dir / f"{doc}.pot")
        for message in catalog:
            if message.id and GLUE_ROLE.search(message.id):
                message.string = "【译】" + message.id
                translated += 1
        po = locales / EDITION.language / "LC_MESSAGES" / f"{doc}.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        po.write_bytes(i18n._po_bytes(catalog))
    assert translated > 100, f"only {translated} messages with glue roles found"
    # The xml builder keeps myst-nb's pasted-text nodes and is quick; the API reference (autodoc
    # imports torch) has no glue and is left out.
    warnings = tmp_path / "warnings.txt"
    overrides = {
        **EDITION.sphinx_config,
        "locale_dirs": [str(locales)],
        "exclude_patterns": [*_exclude_patterns(), "api.md"],
    }
    status = i18n.sphinx_build(
        "xml", tmp_path / "xml", tmp_path / ".doctrees", overrides, quiet=True, warning_file=warnings
    )
    assert status == 0
    glue_warnings = [line for line in warnings.read_text(encoding="utf-8").splitlines() if "glue" in line]
    assert not glue_warnings, "\n".join(glue_warnings[:10])
    checked = 0
    for xml in sorted((tmp_path / "xml").rglob("*.xml")):
        page = xml.relative_to(tmp_path / "xml").with_suffix("").as_posix()
        text = xml.read_text(encoding="utf-8")
        if "【译】" not in text:
            continue
        values = [
            html.unescape(v) for v in re.findall(r'<inline classes="pasted-text"[^>]*>(.*?)</inline>', text, flags=re.S)
        ]
        en = glued((EN / f"{page}.html").read_text(encoding="utf-8"))
        assert values == en, f"{page}: glued values lost or changed in translated messages"
        checked += 1
    assert checked >= 5, f"only {checked} pages had translated glue messages"


def _exclude_patterns() -> list[str]:
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["exclude_patterns"]


# --- catalogs -----------------------------------------------------------------------------------


def test_catalogs_are_complete_and_current(pot_dir):
    """Every message of every document the edition requires (``complete`` in _config.zh.yml) is
    translated, none fuzzy or obsolete, and the catalogs hold the current English messages."""
    found = i18n.problems(EDITION, pot_dir)
    assert not found, (
        "the Chinese catalogs are not complete (run `make translations`, translate what it marks):\n" + "\n".join(found)
    )


def test_every_document_has_a_catalog(pot_dir):
    docs = i18n.documents(pot_dir)
    assert {"intro", "glossary", "chapters/04_depthwise"} <= set(docs)
    missing = [d for d in docs if not (EDITION.catalogs / f"{d}.po").is_file()]
    assert not missing, f"documents without a catalog (run `make translations`): {missing}"


def test_catalogs_have_no_source_locations_or_code(pot_dir):
    """No ``#:`` locations (they churn) and no code cell or output among the messages."""
    for po in EDITION.catalogs.rglob("*.po"):
        text = po.read_text(encoding="utf-8")
        assert "\n#: " not in text, f"{po}: source locations in the catalog"
    depthwise = {m.id for m in i18n._read(pot_dir / "chapters" / "04_depthwise.pot") if m.id}
    assert not [m for m in depthwise if "import torch" in m or "print(" in m], "code cells extracted"


@pytest.fixture
def edition(tmp_path):
    """An edition whose catalogs are in a temporary folder."""
    return dataclasses.replace(EDITION, locales=tmp_path / "locales", complete=("page",))


def _pot(folder: Path, messages: list[str]) -> Path:
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="ghostedu")
    for message in messages:
        catalog.add(message)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page.pot").write_bytes(i18n._po_bytes(catalog))
    return folder


def _translate(edition, translations: dict[str, str]) -> None:
    path = edition.catalogs / "page.po"
    catalog = i18n._read(path)
    for message in catalog:
        if message.id in translations:
            message.string = translations[message.id]
            message.flags.discard("fuzzy")
    path.write_bytes(i18n._po_bytes(catalog))


def test_update_marks_what_changed(edition, tmp_path):
    """A changed message keeps its old translation, marked fuzzy with the old English beside it; a
    new one is untranslated; a removed one becomes obsolete; code needs no translation."""
    first = ["The depthwise convolution has 288 weights.", "A sentence that goes away.", "Stride 2 halves the map."]
    i18n.update_catalogs(edition, _pot(tmp_path / "pot1", [*first, "`conv_dw(32, 64, 2)`"]))
    _translate(
        edition,
        {first[0]: "深度卷积有 288 个权重。", first[1]: "一个将被删除的句子。", first[2]: "步长为 2 时特征图减半。"},
    )
    assert i18n.problems(edition, tmp_path / "pot1") == []
    po = edition.catalogs / "page.po"
    before = po.read_bytes()
    assert i18n.update_catalogs(edition, tmp_path / "pot1") == {"page": "unchanged"}
    assert po.read_bytes() == before, "an update without changes rewrote the catalog"

    second = ["The depthwise convolution has 576 weights.", "Stride 2 halves the map.", "A new sentence."]
    pot2 = _pot(tmp_path / "pot2", [*second, "`conv_dw(32, 64, 2)`"])
    i18n.update_catalogs(edition, pot2)
    catalog = i18n._read(po)
    changed = catalog.get(second[0])
    assert changed.fuzzy and changed.string == "深度卷积有 288 个权重。"
    assert f'#| msgid "{first[0]}"' in po.read_text(encoding="utf-8"), "the old English is not shown"
    assert not catalog.get(second[2]).string
    assert catalog.get("`conv_dw(32, 64, 2)`").string == "`conv_dw(32, 64, 2)`"
    assert first[1] in catalog.obsolete
    # babel reads the old English back as a comment: a second update must keep it as it was.
    text = po.read_text(encoding="utf-8")
    assert i18n.update_catalogs(edition, pot2) == {"page": "unchanged"}
    assert po.read_text(encoding="utf-8") == text
    found = "\n".join(i18n.problems(edition, pot2))
    assert "1 message(s) untranslated" in found and "1 message(s) fuzzy" in found
    assert "1 message(s) obsolete" in found


def test_check_notices_catalogs_behind_the_source(edition, tmp_path):
    """English changed and `make translations` not run: the check says so."""
    i18n.update_catalogs(edition, _pot(tmp_path / "pot1", ["Old sentence."]))
    _translate(edition, {"Old sentence.": "旧句子。"})
    found = "\n".join(i18n.problems(edition, _pot(tmp_path / "pot2", ["New sentence."])))
    assert "new in the source" in found and "gone from the source" in found


def test_has_words():
    assert not i18n.has_words("`Conv2d(8, 8, 3, groups=8)`")
    assert not i18n.has_words("$k^2 C_\\text{in}$")
    assert not i18n.has_words("{glue:text}`n_params:,` — 3")
    assert i18n.has_words("dim 0")
    assert i18n.has_words("{doc}`notation` 中统一约定")


def test_the_edition_config():
    assert EDITION.sphinx_config["language"] == "zh_CN" and EDITION.folder == "zh"
    assert EDITION.complete is None or set(EDITION.complete) >= {"intro", "notation", "glossary", "license"}


# --- exercise titles ----------------------------------------------------------------------------

EXERCISE = re.compile(r"^```\{exercise\}[ \t]+(.+?)[ \t]*$", re.M)


def exercise_titles(notebook: Path) -> list[str]:
    """The titles of a notebook's exercises, the arguments of its ```{exercise} Title``` directives."""
    import nbformat

    cells = nbformat.read(notebook, as_version=4).cells
    return [t for cell in cells if cell.cell_type == "markdown" for t in EXERCISE.findall(cell.source)]


def test_exercise_titles_are_messages(pot_dir):
    """Every exercise title is a message of its chapter, in the extracted messages and its catalog
    (sphinx-exercise leaves titles out of the messages: _ext/ghostedu_i18n.py puts them in)."""
    found = 0
    for notebook in sorted((ROOT / "chapters").glob("*.ipynb")):
        doc = f"chapters/{notebook.stem}"
        titles = exercise_titles(notebook)
        if not titles:
            continue
        extracted = {m.id for m in i18n._read(pot_dir / f"{doc}.pot") if m.id}
        catalog = {m.id for m in i18n._read(EDITION.catalogs / f"{doc}.po") if m.id}
        for title in titles:
            assert title in extracted, f"{doc}: the exercise title {title!r} is not extracted"
            assert title in catalog, f"{doc}: the exercise title {title!r} is not in its catalog"
            found += 1
    assert found >= 20, f"only {found} exercise titles found in the chapters"


@pytest.mark.slow  # builds a chapter of the Chinese edition
def test_a_translated_exercise_title_is_shown(tmp_path):
    """With a translation of an exercise's title in the catalog, the Chinese page shows it in the
    exercise and in its solution's title (sphinx-exercise builds the latter from its own copy of the
    exercise). The catalog is a temporary one: the chapter's, with that one title translated."""
    doc = "chapters/00_first_look"
    title = exercise_titles(ROOT / f"{doc}.ipynb")[0]
    translated = f"【译】{title}"
    catalog = i18n._read(EDITION.catalogs / f"{doc}.po")
    assert title in catalog, f"{doc}: the exercise title {title!r} is not in its catalog"
    catalog[title].string = translated
    catalog[title].flags.discard("fuzzy")
    po = tmp_path / "locales" / EDITION.language / "LC_MESSAGES" / f"{doc}.po"
    po.parent.mkdir(parents=True)
    po.write_bytes(i18n._po_bytes(catalog))
    others = [
        path.relative_to(ROOT).as_posix()
        for path in [*ROOT.glob("*.md"), *(ROOT / "chapters").glob("*.ipynb")]
        if path.relative_to(ROOT).with_suffix("").as_posix() not in (doc, "intro")
    ]
    overrides = {
        **EDITION.sphinx_config,
        "locale_dirs": [str(tmp_path / "locales")],
        "exclude_patterns": [*_exclude_patterns(), *others],
    }
    status = i18n.sphinx_build(
        "html", tmp_path / "html", tmp_path / ".doctrees", overrides, quiet=True, warning_file=tmp_path / "warnings"
    )
    assert status == 0
    page = (tmp_path / "html" / f"{doc}.html").read_text(encoding="utf-8")
    titles = [
        re.sub(r"<[^>]+>", "", html.unescape(t))
        for t in re.findall(r'<p class="admonition-title">(.*?)</p>', page, flags=re.S)
    ]
    shown = [t for t in titles if title in t]
    assert len(shown) == 2, f"the exercise and its solution should show its title: {titles}"
    assert shown[0].startswith("练习") and shown[1].startswith("解答"), shown
    assert all(translated in t for t in shown), f"the translated title is not shown: {shown}"


# --- links between the editions -----------------------------------------------------------------


@pytest.mark.slow  # reads the two built editions
@pytest.mark.parametrize("folder, other", [(EN, ZH), (ZH, EN)], ids=["en", "zh"])
def test_every_page_links_to_itself_in_the_other_edition(folder, other):
    _require_builds()
    for page in pages(folder):
        text = (folder / f"{page}.html").read_text(encoding="utf-8")
        link = re.search(r'<a class="btn btn-sm ghostedu-edition-switch" href="([^"]+)"', text)
        assert link, f"{folder / page}.html: no link to the other edition"
        target = ((folder / page).parent / link.group(1)).resolve()
        assert target == (other / f"{page}.html").resolve(), f"{page}: links to {target}"
        assert target.is_file()


@pytest.mark.slow  # reads the two built editions
def test_the_chinese_pages_are_chinese():
    _require_builds()
    text = (ZH / "glossary.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN"' in text
    assert "ghostedu-zh.css" in text, "the Chinese font list is not on the Chinese pages"
    assert "ghostedu-zh.css" not in (EN / "glossary.html").read_text(encoding="utf-8")
    assert "深度可分离卷积 depthwise separable convolution" in text


# Words a Chinese page may show in Latin letters in the theme's parts: names, file types, keys,
# the link to the English page and its tooltip.
LATIN_OK = re.compile(r"ghostedu|Binder|Colab|\.ipynb|\.md|\.pdf|PDF|Ctrl|This page in English|English")
# The theme's words: tooltips and labels (not those of links, which carry page titles), button
# texts, the footer.
THEME_ATTRIBUTE = re.compile(r'<(?!a\b|link\b)\w+[^>]*?\b(?:title|aria-label|placeholder|alt|data-bs-title)="([^"]*)"')
THEME_TEXT = re.compile(
    r'<span class="btn__text-container">(.*?)</span>|<footer class="bd-footer[^"]*">(.*?)</footer>', re.S
)


@pytest.mark.slow  # reads the two built editions
def test_no_theme_word_is_left_in_english():
    """What the theme writes around a page's text (buttons, tooltips, labels, footer) is Chinese.
    The theme's hard-coded aria labels "Main" and "Page" are the exceptions Sphinx cannot translate."""
    _require_builds()
    left = {}
    for page in pages(ZH):
        text = (ZH / f"{page}.html").read_text(encoding="utf-8")
        # myst-nb's buttons on hidden code (nb_code_prompt_show/hide in _config.zh.yml), in the article
        for english in ("Show code cell", "Hide code cell"):
            assert english not in text, f"{page}: myst-nb's button '{english} ...' in English"
        # a translated display-math message that differs from the English loses its formula
        assert "\\[::\\]" not in text, f"{page}: an empty formula (a display-math message was changed)"
        text = re.sub(r"<script.*?</script>|<style.*?</style>|<!--.*?-->|<article.*?</article>", "", text, flags=re.S)
        words = THEME_ATTRIBUTE.findall(text)
        for match in THEME_TEXT.findall(text):
            words += re.sub(r"<[^>]+>", "\n", "".join(match)).split("\n")
        for word in words:
            word = html.unescape(word).strip()
            if re.search(r"[A-Za-z]{2}", LATIN_OK.sub("", word)) and word not in ("Main", "Page"):
                left.setdefault(word, page)
    assert not left, f"theme words still in English on the Chinese pages: {left}"


# --- Chinese search -----------------------------------------------------------------------------


def test_search_dictionary_holds_the_glossary_terms():
    terms = set(i18n_ext().glossary_terms(ROOT / "glossary.md"))
    assert {"深度可分离卷积", "逐点卷积", "空洞卷积", "感受野", "步长", "填充", "特征图", "批归一化"} <= terms


def i18n_ext():
    import importlib
    import sys

    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        return importlib.import_module("ghostedu_i18n")
    finally:
        sys.path.remove(str(ROOT / "_ext"))


def search_index(folder: Path) -> dict:
    text = (folder / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


def search(index: dict, query: str) -> list[str]:
    """The pages Sphinx's searchtools.js finds for one query word: the word itself in the index,
    or, for words longer than two characters, the index's words that contain it."""
    terms = {**index["terms"], **index["titleterms"]}
    hits = set()
    for term, docs in terms.items():
        if term == query or len(query) > 2 and query in term:
            hits.update([docs] if isinstance(docs, int) else docs)
    return sorted(index["docnames"][i] for i in hits)


@pytest.mark.slow  # reads the two built editions
@pytest.mark.parametrize(
    "query, page",
    [
        ("深度可分离", "chapters/04_depthwise"),
        ("深度可分离卷积", "chapters/04_depthwise"),
        ("空洞卷积", "chapters/03_dilated"),
        ("感受野", "glossary"),
    ],
)
def test_chinese_search_finds_the_chapter(query, page):
    _require_builds()
    index = search_index(ZH)
    assert "深度可分离卷积" in index["terms"], (
        "the term was cut into pieces: the search index was built without the glossary's user dictionary"
    )
    assert page in search(index, query), f"searching {query!r} does not find {page}"


@pytest.mark.slow  # reads the two built editions
def test_search_is_not_limited_to_latin_words():
    """Without jieba Sphinx's Chinese index holds Latin words only."""
    _require_builds()
    terms = search_index(ZH)["terms"]
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", t)) for t in terms) > 100


@pytest.mark.slow  # reads the two built editions
def test_jieba_cache_is_in_the_build_folder():
    _require_builds()
    assert list((ROOT / "_build" / EDITION.folder / "jieba").glob("*.cache")), (
        "jieba's dictionary cache is not in _build (it would be written to the system's temp folder)"
    )


@pytest.mark.slow  # reads the built Chinese edition
def test_the_table_of_contents_captions_are_translated():
    """sphinx-external-toc inserts the toctrees after Sphinx translates a page: every caption of
    _toc.yml still shows its translation (from the root page's catalog) in the sidebar."""
    import yaml

    _require_builds()
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = [part["caption"] for part in toc["parts"]]
    catalog = {m.id: m.string for m in i18n._read(ROOT / "locales/zh_CN/LC_MESSAGES/intro.po") if m.id}
    for page in ("intro", "chapters/10_deployment"):
        shown = re.findall(r'caption-text">([^<]*)', (ZH / f"{page}.html").read_text(encoding="utf-8"))
        assert shown == [catalog[c] for c in captions], page
        assert not set(shown) & set(captions), page
