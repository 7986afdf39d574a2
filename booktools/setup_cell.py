"""``python -m booktools setup-cell``: the cell that installs ghostedu on Colab, first in every notebook.

The cell itself is :func:`booktools.student.setup_cell_source` (tagged ``setup``). This module adds
what the command needs around it, all checked before any notebook changes:

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

from .files import InputError, notebook_bytes, notebooks_in, read_notebooks, write_all
from .student import add_setup_cell

__all__ = ["read_repository", "check_repository", "add_setup_cells"]

# A host (and port), then path segments of letters, digits and . _ ~ % + - : nothing a shell reads.
_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%+-]+)*/?")
# A git branch name of the same safe characters (and /), not starting with '-' or '.'.
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")


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
