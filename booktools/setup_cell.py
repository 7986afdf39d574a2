"""``python -m booktools setup-cell``: the cell that installs ghostedu on Colab, first in every notebook.

The cell is :func:`setup_cell_source`; :func:`add_setup_cell` puts it first in one notebook (tagged
``setup`` and ``remove-cell``): it installs ``ghostedu`` from the book's repository, and myst-nb
(whose ``glue`` the chapters call), when they cannot be imported -- as on Colab -- and prints nothing
otherwise. Around them, what the command needs, all
checked before any notebook changes:

* :func:`read_repository` -- ``repository.url`` and ``branch`` from the book's ``_config.yml``;
* :func:`check_repository` -- a URL and branch that can stand unquoted in the cell's
  ``%pip install`` line (IPython hands that line to a shell, where a quote, a space or a ``$``
  would change the command);
* :func:`add_setup_cells` -- every notebook of a folder read and validated, every new notebook
  made, then all written at once with :func:`booktools.files.write_all`: all change or none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import nbformat

from .files import InputError, notebook_bytes, notebooks_in, read_notebooks, write_all

__all__ = ["SETUP_TAG", "setup_cell_source", "add_setup_cell", "read_repository", "check_repository", "add_setup_cells"]

SETUP_TAG = "setup"

# What a chapter imports beyond ghostedu and its dependencies: ``glue`` (myst-nb), at the version the
# book is built with (tests/test_layout.py checks it against the installed one).
NOTEBOOK_EXTRAS = ("myst-nb==1.4.0",)

# A host (and port), then path segments of letters, digits and . _ ~ % + - : nothing a shell reads.
_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%+-]+)*/?")
# A git branch name of the same safe characters (and /), not starting with '-' or '.'.
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def setup_cell_source(repository_url: str, branch: str = "main") -> str:
    """The source of the first cell: installs ghostedu from ``repository_url`` when it is not importable."""
    url = repository_url.rstrip("/")
    if not url.startswith("https://"):
        raise ValueError(f"the repository URL must start with https://, got {repository_url!r}.")
    return "\n".join(
        [
            "# Run this cell first. Where ghostedu or myst-nb (its glue) is missing,",
            "# as on Colab, it installs them, ghostedu from the book's repository;",
            "# elsewhere it does nothing.",
            "# Nothing else is ever downloaded.",
            "import importlib.util",
            "",
            'if not all(importlib.util.find_spec(m) for m in ("ghostedu", "myst_nb")):',
            f"    %pip install -q {' '.join(NOTEBOOK_EXTRAS)}",
            f"    %pip install -q ghostedu@git+{url}@{branch}",
            "    importlib.invalidate_caches()",
        ]
    )


def add_setup_cell(nb: nbformat.NotebookNode, repository_url: str, branch: str = "main") -> bool:
    """Put the setup cell first in ``nb`` (or update the cell tagged ``setup``). Returns True if ``nb`` changed.

    The cell is tagged ``setup`` and ``remove-cell``: it runs in Jupyter and on Colab but is not shown in
    the rendered book.
    """
    source = setup_cell_source(repository_url, branch)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and SETUP_TAG in _tags(cell):
            if cell.source == source and index == 0:
                return False
            cell.source = source
            cell.outputs = []
            cell.execution_count = None
            nb.cells.insert(0, nb.cells.pop(index))
            return True
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [SETUP_TAG, "remove-cell"]})
    nb.cells.insert(0, cell)
    return True


def check_repository(url: object, branch: object) -> tuple[str, str]:
    """``(url, branch)`` unchanged, or an :class:`~booktools.files.InputError` unless ``url`` is an
    ``https://`` address and ``branch`` a branch name made of letters, digits and ``. _ ~ % + - /``
    (``/`` only between segments), which the cell can write without quoting."""
    if not (isinstance(url, str) and _URL.fullmatch(url)):
        raise InputError(
            "setup-cell: expected the repository URL to be an https:// address of letters, digits and "
            f"./_~%+- (it is written unquoted into the cell's %pip install line), got {url!r}"
        )
    if not (
        isinstance(branch, str)
        and _BRANCH.fullmatch(branch)
        and ".." not in branch
        and not branch.endswith(("/", ".lock"))
    ):
        raise InputError(
            f"setup-cell: expected the branch to be a branch name of letters, digits and ._/- , got {branch!r}"
        )
    return url, branch


def read_repository(config: str | Path) -> tuple[str, str]:
    """``(url, branch)`` of ``repository:`` in the book's ``_config.yml``, checked by :func:`check_repository`."""
    import yaml  # installed with jupyter-book; only authors run this command

    config = Path(config)
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except OSError as error:
        raise InputError(f"{config}: cannot be read ({error.strerror or error})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InputError(f"{config}: not valid YAML ({error})") from None
    repo = data.get("repository") if isinstance(data, dict) else None
    repo = repo if isinstance(repo, dict) else {}
    url = str(repo.get("url") or "").strip()
    if not url:
        raise InputError(
            f"{config} sets no repository.url; set it (the one place the repository's "
            "address is given) before adding the setup cell."
        )
    return check_repository(url, str(repo.get("branch") or "main"))


def add_setup_cells(
    chapters: str | Path, url: str, branch: str, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Put the setup cell first in every notebook of ``chapters`` that lacks the current one; return
    the notebooks changed.

    All or nothing: the repository is checked, every notebook is read and validated and every
    changed notebook is turned into bytes before the first is written, and they are written
    together (:func:`booktools.files.write_all`). Any problem is an
    :class:`~booktools.files.InputError` or :class:`~booktools.files.WriteError` naming the file,
    and then no notebook has changed.
    """
    check_repository(url, branch)
    changed = {}
    for path, nb in read_notebooks(notebooks_in(chapters)):
        if add_setup_cell(nb, url, branch):
            changed[path] = notebook_bytes(nb, path)
    write_all(changed)
    for path in changed:
        if progress:
            progress(f"updated {path}")
    return list(changed)
