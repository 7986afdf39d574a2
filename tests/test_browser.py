"""The rendered book in a real browser: headless Chromium (Debian's package) through Playwright.

`make test` builds the book (``jupyter-book build . -W -n --keep-going``) before pytest runs; this test
serves ``_build/html`` on 127.0.0.1 and checks every page of the table of contents: no JavaScript error
in the console, no request leaving 127.0.0.1 (the book works offline), every image drawn with a
non-zero size, every formula typeset by MathJax, no code block wider than its column (it would scroll
sideways). The search page must find "depthwise". One screenshot per page goes to
``_build/screenshots/`` for a person to look at. The Chinese edition's pages (``_build/html/zh``) get
the same checks, its search must find Chinese terms, and its Chinese text must be drawn in a CJK font.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

pytestmark = pytest.mark.slow  # drives headless Chromium over every page of the built book

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking"]

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)", allow_module_level=True
    )


def toc_pages() -> list[str]:
    """Every document of _toc.yml, in reading order (e.g. ``intro``, ``chapters/00_first_look``).

    ``GHOSTEDU_BOOK_TOC`` names another table of contents, for a book built with ``jupyter-book --toc``.
    """
    toc_file = Path(os.environ.get("GHOSTEDU_BOOK_TOC", ROOT / "_toc.yml"))
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(str(Path(entry["file"]).with_suffix("")))
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return pages


PAGES = toc_pages()


@pytest.fixture(scope="module")
def built():
    """The built book; a clear failure when it is not there."""
    if not (HTML / "index.html").is_file():
        pytest.fail(
            f"{HTML} is missing: build the book first (`make test` does it: jupyter-book build . -W -n --keep-going)"
        )
    return HTML


@pytest.fixture(scope="module")
def site(built):

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageLog:
    """What a page did while it loaded: console errors, page errors, failed or outside requests."""

    def __init__(self, page, origin: str):
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on(
            "console",
            lambda m: m.type == "error" and self.errors.append(f"console: {m.text} ({m.location.get('url')})"),
        )
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))
        page.on(
            "request",
            lambda r: (
                urlparse(r.url).scheme in ("http", "https")
                and not r.url.startswith(origin)
                and self.outside.append(r.url)
            ),
        )


def open_page(browser, site: str, path: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log = PageLog(page, site)
    page.goto(f"{site}/{path}", wait_until="load")
    # MathJax 3 resolves startup.promise once the page's formulas are typeset.
    page.evaluate(
        "async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise) "
        "await MathJax.startup.promise; }"
    )
    return page, log


MATH_STATE = """() => {
  const math = [...document.querySelectorAll('.math')];
  const untypeset = math.filter(el => !el.querySelector('mjx-container'))
    .map(el => el.textContent.slice(0, 80));
  const errors = [...document.querySelectorAll('mjx-merror')]
    .map(el => el.getAttribute('data-mjx-error') || el.textContent);
  // Visible prose only: code, outputs shown as text, and scripts may hold TeX-like text on purpose.
  const body = document.querySelector('main') || document.body;
  const clone = body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea').forEach(el => el.remove());
  return {n: math.length, containers: document.querySelectorAll('mjx-container').length, untypeset, errors,
          text: clone.textContent};
}"""

# Every image must load; those of the page's content (figures, plots) must also be drawn. The launch
# buttons' logos sit in a closed menu until it is opened, so only their loading is checked.
IMAGE_STATE = """() => [...document.querySelectorAll('img')].map(img => {
  const r = img.getBoundingClientRect();
  return {src: img.getAttribute('src'), complete: img.complete, natural: img.naturalWidth * img.naturalHeight,
          width: r.width, height: r.height, content: !!img.closest('article')};
})"""

# Open every collapsed block (solutions, hidden cells) so that images inside them are drawn too.
EXPAND = """() => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  document.querySelectorAll('.toggle-hidden').forEach(el => el.classList.remove('toggle-hidden'));
  document.querySelectorAll('button.toggle-button')
    .forEach(b => { if (b.getAttribute('aria-expanded') === 'false') b.click(); });
}"""

# Code blocks (notebook cells and fenced code) that are wider than the page's column scroll sideways:
# a reader on a laptop cannot see the end of the line. Measured after the fonts are loaded.
WIDE_CODE = """async () => {
  await document.fonts.ready;
  return [...document.querySelectorAll('article div.cell_input pre, article div.highlight pre')]
    .filter(pre => !pre.closest('div.cell_output, div.output'))
    .filter(pre => pre.scrollWidth > pre.clientWidth)
    .map(pre => ({overflow: pre.scrollWidth - pre.clientWidth,
                  line: pre.textContent.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '')}));
}"""

RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\$\\[A-Za-z]+")


def test_every_toc_page_is_built(built):
    missing = [p for p in EDITION_PAGES if not (HTML / f"{p}.html").is_file()]
    assert not missing, f"pages of _toc.yml missing from {HTML}: {missing} (rebuild the book)"


# The Chinese edition (_build/html/zh, built by `make test` too) is checked page by page the same way.
EDITION_PAGES = PAGES + [f"zh/{p}" for p in PAGES]


@pytest.mark.parametrize("docname", EDITION_PAGES)
def test_page(browser, site, docname):
    page, log = open_page(browser, site, f"{docname}.html")
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{docname.replace('/', '__')}.png"))
        math = page.evaluate(MATH_STATE)
        page.evaluate(EXPAND)
        page.wait_for_timeout(100)
        images = page.evaluate(IMAGE_STATE)
        wide = page.evaluate(WIDE_CODE)
    finally:
        page.close()
    assert not log.errors, f"{docname}: JavaScript console errors:\n" + "\n".join(log.errors)
    assert not log.outside, f"{docname}: requests that leave 127.0.0.1 (the book must work offline): {log.outside}"
    assert not math["untypeset"], f"{docname}: formulas not typeset by MathJax: {math['untypeset'][:5]}"
    assert not math["errors"], f"{docname}: MathJax errors: {math['errors'][:5]}"
    assert math["containers"] >= math["n"], f"{docname}: {math['n']} formulas but {math['containers']} typeset"
    raw = RAW_TEX.findall(math["text"])
    assert not raw, f"{docname}: raw TeX left in the text: {raw[:5]}"
    bad = [
        img
        for img in images
        if not (img["complete"] and img["natural"] > 0)
        or img["content"]
        and not (img["width"] > 0 and img["height"] > 0)
    ]
    assert not bad, f"{docname}: images that are missing or drawn with zero size: {bad}"
    assert not wide, f"{docname}: code blocks wider than the page (they scroll sideways): {wide[:5]}"


def test_math_is_typeset_where_the_source_has_math(browser, site):
    """A page with formulas in its source gets MathJax's output (guards against MathJax not loading at all)."""
    with_math = [
        p
        for p in PAGES
        if (ROOT / f"{p}.md").is_file() and re.search(r"\$[^$\n]+\$", (ROOT / f"{p}.md").read_text(encoding="utf-8"))
    ]
    assert with_math, "no Markdown page with $...$ math to check"
    page, log = open_page(browser, site, f"{with_math[0]}.html")
    try:
        math = page.evaluate(MATH_STATE)
    finally:
        page.close()
    assert math["n"] > 0 and math["containers"] >= math["n"], f"{with_math[0]}: {math}"
    assert not log.errors


def test_search_finds_depthwise(browser, site):
    page, log = open_page(browser, site, "search.html?q=depthwise")
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        results = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "search_depthwise.png"))
    finally:
        page.close()
    assert results, "the search page found nothing for 'depthwise'"
    assert not log.errors, "\n".join(log.errors)
    if "chapters/04_depthwise" in PAGES:
        assert any("04_depthwise" in url for url in results), results


def test_no_page_loads_anything_from_the_network(built):
    """Scripts, style sheets and MathJax come from the book itself: no http(s) src/href to load."""
    pattern = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=\"(https?:)?//[^\"]+\"[^>]*>")
    offenders = {}
    for path in HTML.rglob("*.html"):
        for tag in pattern.finditer(path.read_text(encoding="utf-8")):
            text = tag.group(0)
            if tag.group(1) == "link" and not re.search(r'rel="(stylesheet|preload|modulepreload|icon)"', text):
                continue  # <link rel="canonical"> etc. load nothing
            offenders.setdefault(str(path.relative_to(HTML)), []).append(text[:120])
    assert not offenders, offenders
    mathjax = HTML / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file(), "MathJax is not served from the book's _static folder"


def test_each_page_declares_its_scripts_once(built):
    """The stock Jupyter Book 1.x stack included sphinx-thebe's `const THEBE_JS_URL` twice (a console error)."""
    for docname in PAGES:
        text = (HTML / f"{docname}.html").read_text(encoding="utf-8")
        assert text.count("const THEBE_JS_URL") <= 1, docname
        inline = re.findall(r"<script>(.*?)</script>", text, flags=re.S)
        duplicated = {s for s in inline if inline.count(s) > 1}
        assert not duplicated, f"{docname}: inline scripts included twice: {duplicated}"


def test_api_reference_documents_every_module(built):
    """api.md covers each module of ghostedu: documented itself, or re-exported (its public names, in
    ``__all__``) by a documented package, as ``ghostedu.layers`` re-exports ``ghostedu.layers.ghost``."""
    import importlib
    import pkgutil

    import ghostedu

    api = HTML / "api.html"
    assert "api" in PAGES, "api.md is not in _toc.yml"
    documented = set(re.findall(r'id="module-([\w.]+)"', api.read_text(encoding="utf-8")))
    missing = []
    for info in pkgutil.walk_packages(ghostedu.__path__, "ghostedu."):
        if any(part.startswith("_") and part != "__main__" for part in info.name.split(".")):
            continue
        if info.name in documented:
            continue
        parent = info.name.rsplit(".", 1)[0]
        module = importlib.import_module(info.name)
        public = [
            n
            for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == info.name and callable(v)
        ]
        exported = set(getattr(importlib.import_module(parent), "__all__", []))
        if parent not in documented or not set(public) & exported:
            missing.append(info.name)
    assert not missing, f"modules missing from the API reference (api.md): {missing}"


def test_notebook_pages_have_download_and_launch_buttons(built):
    """Each notebook page offers its .ipynb for download and, with repository.url set in _config.yml,
    launch links to Colab and Binder."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repo = ((config.get("repository") or {}).get("url") or "").rstrip("/")
    notebooks = [p for p in PAGES if (ROOT / f"{p}.ipynb").is_file()]
    assert notebooks, "no notebook page in the table of contents"
    for docname in notebooks:
        text = (HTML / f"{docname}.html").read_text(encoding="utf-8")
        name = Path(docname).name
        assert re.search(rf'href="[^"]*_sources/{re.escape(docname)}\.ipynb"', text), f"{docname}: no .ipynb download"
        assert (HTML / "_sources" / f"{docname}.ipynb").is_file(), docname
        if repo:
            assert f"colab.research.google.com/github/{urlparse(repo).path.strip('/')}/blob/" in text, (
                f"{docname}: no Colab launch link"
            )
            assert "mybinder.org/v2/gh/" in text and f"{name}.ipynb" in text, f"{docname}: no Binder launch link"


# --- the Chinese edition ------------------------------------------------------------------------


@pytest.mark.parametrize("query, page", [("深度可分离", "chapters/04_depthwise"), ("空洞卷积", "chapters/03_dilated")])
def test_chinese_search_finds_the_chapter(browser, site, query, page):
    search, log = open_page(browser, site, f"zh/search.html?q={query}")
    try:
        search.wait_for_selector("#search-results ul.search li", timeout=30_000)
        results = search.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
    finally:
        search.close()
    assert not log.errors, "\n".join(log.errors)
    assert any(f"zh/{page}.html" in url for url in results), f"searching {query!r} found {results}"


# A font drawn for Chinese: the names the Chinese edition's style sheet lists, and the CJK fonts
# Linux distributions ship (a fallback such as DejaVu has no Chinese glyphs).
CJK_FONT = re.compile(
    r"PingFang|Hiragino|YaHei|Noto (Sans|Serif) (CJK|SC)|Source Han|WenQuanYi|"
    r"WQY|Droid Sans Fallback|AR PL|SimSun|SimHei|Heiti",
    re.I,
)


# Characters a Latin font lacks and a CJK font must draw: ideographs, CJK punctuation (、。) and
# full-width forms (，：；（）). Curly quotes are left out: Latin fonts have them.
CJK_CHARS = r"\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"
# For the paragraph and each element inside it: how many such characters its own text holds, and how
# many lie within two levels of it (its text and its child elements' text). Chromium's
# CSS.getPlatformFontsForNode reports the fonts of exactly that text ("Iterate upto two layers deep"
# in inspector_css_agent.cc), so a link's words (p > a > span > text) are asked of the span.
CJK_COUNTS = (
    "p => { const re = /[" + CJK_CHARS + "]/g;"
    " const own = el => [...el.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)"
    ".reduce((k, n) => k + (n.data.match(re) || []).length, 0);"
    " return [p, ...p.querySelectorAll('*')].map(el => ({tag: el.tagName.toLowerCase(), own: own(el),"
    " near: own(el) + [...el.children].reduce((k, c) => k + own(c), 0)})); }"
)


@pytest.mark.parametrize("docname", ["zh/intro", "zh/notation", "zh/glossary", "zh/license"])
def test_chinese_text_is_drawn_in_a_cjk_font(browser, site, docname):
    """Ask the browser (CSS.getPlatformFontsForNode) which fonts drew the first paragraph's Chinese,
    its links' words included."""
    page, log = open_page(browser, site, f"{docname}.html")
    try:
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "article p"})["nodeId"]
        text = page.eval_on_selector("article p", "p => p.textContent")
        counts = page.eval_on_selector("article p", CJK_COUNTS)
        # The same elements in the same (document) order as querySelectorAll above.
        nodes = [node, *cdp.send("DOM.querySelectorAll", {"nodeId": node, "selector": "*"})["nodeIds"]]
        assert len(nodes) == len(counts), f"{docname}: the paragraph changed while it was read"
        drawn = [
            (c, cdp.send("CSS.getPlatformFontsForNode", {"nodeId": n})["fonts"])
            for n, c in zip(nodes, counts)
            if c["own"]
        ]
    finally:
        page.close()
    assert counts[0]["own"], f"{docname}: the first paragraph is not Chinese (its words, links aside): {text[:80]}"
    wrong = []
    for count, fonts in drawn:
        cjk = sum(
            f["glyphCount"]
            for f in fonts
            if CJK_FONT.search(f["familyName"]) or CJK_FONT.search(f.get("postScriptName", ""))
        )
        if cjk < count["near"]:
            wrong.append(f"<{count['tag']}>: {count['near']} Chinese characters, {cjk} drawn in a CJK font: {fonts}")
    assert not wrong, f"{docname}: Chinese characters not drawn in a CJK font:\n" + "\n".join(wrong)
