"""The house rules of the repository, read from its files (nothing here imports the package).

* Imports inside ``ghostedu`` point one way: layers under models, the shared pieces (``utils``,
  ``checks``, ``tables``) under everything, ``shapes`` knowing no model, and the book's tools
  (``booktools``) beside the package, never imported by it.
* ``pyproject.toml`` declares every package ``ghostedu`` imports; the version is written once.
* The notebooks carry no execution timestamps, so that re-executing one changes only its outputs.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ghostedu"

BASE = {"utils", "checks", "tables"}
# What each part of ghostedu may import from ghostedu (by dotted name below ``ghostedu.``; an entry
# also allows the modules under it).
ALLOWED = {
    "": {"utils"},
    "utils": {"checks"},
    "checks": set(),
    "tables": set(),
    "layers": {"layers", "checks"},
    "models": {"models", "layers", "checks", "tables", "utils", "shapes.arithmetic"},
    "shapes": {"shapes", *BASE},
    "reference": {"checks"},
    "data": {"data", "checks"},
    "train": {"utils", "checks"},
    "bench": {"utils", "checks"},
    "deploy": {"utils", "checks"},
    "counting": {"models", "shapes", *BASE},
    # viz draws; its explorers (viz.explorer) also state the counts of their opening setting.
    "viz": {"viz", "models", "layers", "shapes", "counting", *BASE},
    "exercises": {"exercises", "layers", "models", "shapes", "counting", "data", "reference", "train", "viz", *BASE},
}


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def imports_of(path: Path) -> set[str]:
    """The modules of ghostedu (dotted below ``ghostedu.``) and the outside packages that ``path`` imports,
    at any level (inside functions too); outside packages as ``"<outside>:name"``."""
    name, is_package = _module_name(path)
    here = name.split(".") if name else []
    if not is_package:
        here = here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                found.add(target)
            elif node.module == "ghostedu" or node.module.startswith("ghostedu."):
                found.add(node.module.removeprefix("ghostedu").removeprefix("."))
            else:
                found.add("<outside>:" + node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "ghostedu" or alias.name.startswith("ghostedu."):
                    found.add(alias.name.removeprefix("ghostedu").removeprefix("."))
                else:
                    found.add("<outside>:" + alias.name.split(".")[0])
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path):
    name, _ = _module_name(path)
    part = name.split(".")[0]
    allowed = ALLOWED[part]
    inside = {m for m in imports_of(path) if not m.startswith("<outside>:")}
    wrong = sorted(m or "ghostedu" for m in inside if not any(m == a or m.startswith(a + ".") for a in allowed))
    assert not wrong, f"ghostedu.{name} imports {wrong}; {part or 'the package'} may import only {sorted(allowed)}"


def test_the_package_never_imports_the_book_tools():
    outside = {m for path in MODULES for m in imports_of(path) if m.startswith("<outside>:")}
    assert not {"<outside>:booktools", "<outside>:chapters", "<outside>:tests"} & outside


# What each import name is installed as.
DISTRIBUTIONS = {"PIL": "pillow", "IPython": "ipython"}


def _declared(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_pyproject_declares_what_the_package_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _declared(project["dependencies"])
    imported = {m.split(":", 1)[1] for path in MODULES for m in imports_of(path) if m.startswith("<outside>:")}
    outside = imported - set(sys.stdlib_module_names) - {"ghostedu"}
    missing = sorted(m for m in outside if DISTRIBUTIONS.get(m, m).lower() not in declared)
    assert not missing, f"pyproject.toml's dependencies miss packages ghostedu imports: {missing}"


def test_requirements_pin_every_declared_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _declared(project["dependencies"]) | {
        d for extra in project["optional-dependencies"].values() for d in _declared(extra)
    }
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.strip().lower()] = version.strip()
    assert declared <= set(pins), f"declared in pyproject.toml but not pinned: {sorted(declared - set(pins))}"
    assert all(pins.values()), f"requirements.txt pins exact versions: {pins}"


def test_the_version_is_written_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ghostedu.__version__"}
    version = re.search(r'^__version__ = "([^"]+)"$', (PACKAGE / "__init__.py").read_text(), re.M).group(1)
    citation = re.search(r"^version: (\S+)$", (ROOT / "CITATION.cff").read_text(), re.M).group(1)
    assert citation == version, "CITATION.cff gives another version than ghostedu.__version__"


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_carry_no_execution_timestamps(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    stamped = [i for i, cell in enumerate(cells) if "execution" in cell.get("metadata", {})]
    assert not stamped, f"{path.name}: cells {stamped} carry execution timestamps (make execute leaves none)"


def test_a_notebook_imports_only_what_its_setup_cell_or_ghostedu_provides():
    """On Colab a chapter has what its first cell installs (ghostedu and its dependencies, and
    NOTEBOOK_EXTRAS) and the standard library; keras and tensorflow come with Colab."""
    import importlib.metadata

    from booktools.setup_cell import NOTEBOOK_EXTRAS, setup_cell_source

    name, version = NOTEBOOK_EXTRAS[0].split("==")
    assert importlib.metadata.version(name) == version  # the version the book is built with
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    distributions = {re.split(r"[<>=!~ ;\[]", d)[0].lower() for d in project["dependencies"]}
    for extra in NOTEBOOK_EXTRAS:  # what pip installs with it (myst-nb brings nbformat)
        dist = extra.split("==")[0]
        needs = importlib.metadata.requires(dist) or []
        distributions |= {dist} | {re.split(r"[<>=!~ ;\[]", r)[0].lower() for r in needs if "extra ==" not in r}
    provided = {"ghostedu", "tensorflow", "keras"} | set(sys.stdlib_module_names)
    for dist in distributions:
        try:
            top = importlib.metadata.distribution(dist).read_text("top_level.txt")
        except importlib.metadata.PackageNotFoundError:
            continue
        provided |= set(top.split()) if top else {dist.replace("-", "_")}
    source = setup_cell_source("https://example.org/o/r")
    assert all(e in source for e in NOTEBOOK_EXTRAS) and "myst_nb" in source
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        assert "setup" in cells[0].get("metadata", {}).get("tags", []), path.name
        for cell in cells[1:]:
            if cell["cell_type"] != "code":
                continue
            for line in "".join(cell["source"]).splitlines():
                found = re.match(r"\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", line)
                if found:
                    module = (found.group(1) or found.group(2)).split(".")[0]
                    assert module in provided, f"{path.name}: imports {module}, which Colab would not have"
