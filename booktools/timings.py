"""How long each chapter notebook takes to run, measured, with the machine that measured it.

``python -m booktools timings chapters -o chapters/timings.json`` executes every notebook with
``nbclient`` (a fresh kernel each, started in the notebook's folder: kernel start-up is included) and
writes the wall time of each to a JSON file. The page "How long each notebook takes to run"
(``chapters/99_notebook_timings.ipynb``) reads that file; the page "For teachers" links to it.

Limits: a cell may run at most ``timeout`` seconds and the whole run at most ``total_timeout``;
both are positive (the command line refuses 0 and negative values, which nbclient would take as
"no limit"). A notebook that fails -- an error in a cell, a cell past its limit, a kernel that
dies, the overall limit reached -- is recorded under ``"failed"`` with the reason, and the others
are timed as before: nothing measured is lost. Files are written with :mod:`booktools.files`.
"""

from __future__ import annotations

import json
import math
import platform
import re
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import torch

from ghostedu import device
from ghostedu.bench import cpu_model, machine_label

from .files import InputError, atomic_write, read_notebook

__all__ = [
    "notebook_title",
    "time_notebook",
    "time_notebooks",
    "write_timings",
    "read_timings",
    "check_timings_file",
    "refresh_timing_pages",
]

DEFAULT_TIMEOUT = 600
"""Seconds a cell may run (a training cell takes well under a minute)."""
DEFAULT_TOTAL_TIMEOUT = 3600
"""Seconds the whole run may take."""


class NotebookFailed(Exception):
    """A notebook that did not run to its end; the message says where and why."""


def notebook_title(nb: nbformat.NotebookNode, default: str = "") -> str:
    """The text of the first level-1 Markdown heading of ``nb`` (``default`` when there is none)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+?)\s*$", cell.source, flags=re.MULTILINE)
            if match:
                return match.group(1)
    return default


def _skipped(nb: nbformat.NotebookNode) -> bool:
    return nb.metadata.get("ghostedu", {}).get("timings", True) is False


def _client(nb: nbformat.NotebookNode, path: Path, timeout: int, deadline: float | None):
    """An nbclient that runs ``nb`` from its folder, each cell within ``timeout`` seconds and all of
    them before the monotonic time ``deadline``."""
    from nbclient import NotebookClient

    def cell_timeout(cell) -> int:
        if deadline is None:
            return timeout
        return max(1, min(timeout, math.ceil(deadline - time.monotonic())))  # never 0: nbclient's "no limit"

    return NotebookClient(
        nb,
        timeout=timeout,
        timeout_func=cell_timeout,
        startup_timeout=max(1, min(60, cell_timeout(None))),
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )


def _failing_cell(nb: nbformat.NotebookNode) -> str:
    """``"cell 3 (counting from 0)"`` for the first cell with an error output, or ``"a cell"``."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return f"cell {index} (counting from 0)"
    return "a cell"


def _execute(nb: nbformat.NotebookNode, path: Path, timeout: int, deadline: float | None, limit: str) -> None:
    """Run ``nb`` in place; :class:`NotebookFailed` saying why it stopped."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    try:
        _client(nb, path, timeout, deadline).execute()
    except CellExecutionError as error:
        raise NotebookFailed(f"{error.ename} in {_failing_cell(nb)}: {error.evalue}") from error
    except (CellTimeoutError, TimeoutError) as error:
        if deadline is not None and time.monotonic() >= deadline - 1:
            raise NotebookFailed(f"stopped at the overall limit of {limit}") from error
        raise NotebookFailed(f"a cell ran longer than the limit of {timeout} s per cell (--timeout)") from error
    except DeadKernelError as error:
        raise NotebookFailed(f"the kernel died ({error})") from error
    except Exception as error:  # a kernel that cannot start, a lost connection
        raise NotebookFailed(f"{type(error).__name__}: {error}") from error


def time_notebook(
    path: str | Path, timeout: int = DEFAULT_TIMEOUT, kernel_name: str = "python3", deadline: float | None = None
) -> float:
    """Wall seconds to execute the notebook at ``path`` from start to end (the file is not changed).

    Each cell may run ``timeout`` seconds, all of them until ``deadline`` (``time.monotonic()``).
    :class:`NotebookFailed` when it does not run to its end.
    """
    path = Path(path)
    nb = read_notebook(path)
    start = time.perf_counter()
    _execute(nb, path, timeout, deadline, "the run")
    return time.perf_counter() - start


def time_notebooks(
    paths,
    timeout: int = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
    total_timeout: int | None = None,
) -> dict:
    """Execute each notebook in ``paths`` in turn; a dict ready for :func:`write_timings`.

    ``"notebooks"`` holds the notebooks that ran to their end, ``"failed"`` (present when one did
    not) each other one with ``"error"``, the reason: a cell's error, a cell past ``timeout``
    seconds, or the run past ``total_timeout`` seconds (the notebooks not started by then are
    listed too). Notebooks whose metadata sets ``ghostedu.timings`` to false (the timing page
    itself) are skipped. Every notebook is read and validated before the first one runs.
    """
    notebooks = [(Path(path), read_notebook(path)) for path in paths]
    deadline = time.monotonic() + total_timeout if total_timeout is not None else None
    limit = f"{total_timeout} s (--total-timeout)"
    rows, failed = [], []
    for path, nb in notebooks:
        if _skipped(nb):
            continue
        row = {"file": path.name, "title": notebook_title(nb, path.stem)}
        code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
        if deadline is not None and time.monotonic() >= deadline:
            failed.append({**row, "error": f"not run: the overall limit of {limit} was reached"})
            continue
        start = time.perf_counter()
        try:
            _execute(nb, path, timeout, deadline, limit)
        except NotebookFailed as error:
            seconds = time.perf_counter() - start
            failed.append({**row, "seconds": round(seconds, 1), "error": str(error)})
            if progress:
                progress(f"{path.name}: failed after {seconds:.1f} s: {error}")
            continue
        seconds = time.perf_counter() - start
        rows.append({**row, "seconds": round(seconds, 1), "code_cells": code_cells})
        if progress:
            progress(f"{path.name}: {seconds:.1f} s")
    dev = device()  # the device the notebooks ran on
    result = {
        "machine": machine_label(dev),
        "cpu": cpu_model(),
        "threads": torch.get_num_threads(),
        "device": dev.type,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "total_seconds": round(sum(row["seconds"] for row in rows), 1),
        "notebooks": rows,
    }
    if failed:
        result["failed"] = failed
    return result


def write_timings(result: dict, path: str | Path) -> None:
    """Write ``result`` (from :func:`time_notebooks`) as indented JSON, atomically."""
    atomic_write(path, json.dumps(result, indent=2, ensure_ascii=False) + "\n")


def read_timings(path: str | Path) -> dict:
    """Read a file written by :func:`write_timings`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def check_timings_file(path: str | Path) -> None:
    """Nothing when ``path`` does not exist or holds timings (a JSON object with ``"notebooks"``);
    otherwise an :class:`~booktools.files.InputError`: the command would replace a file that is not
    its own."""
    path = Path(path)
    if not path.exists():
        return
    try:
        data = read_timings(path)
    except (OSError, ValueError, RecursionError):
        data = None
    if not (isinstance(data, dict) and isinstance(data.get("notebooks"), list)):
        raise InputError(
            f'{path}: exists and is not a timings file (a JSON object with "notebooks"); '
            "it was left as it is: write the timings to another file, or remove this one"
        )


def refresh_timing_pages(paths, timeout: int = DEFAULT_TIMEOUT) -> list[Path]:
    """Re-execute in place the notebooks among ``paths`` that show the timings (metadata
    ``ghostedu.timings`` false), so that their stored outputs match a newly written timings file.
    Each is written atomically, and only when it ran to its end (:class:`NotebookFailed`
    otherwise, the notebook unchanged). Returns the notebooks re-executed."""
    done = []
    for path in map(Path, paths):
        nb = read_notebook(path)
        if not _skipped(nb):
            continue
        try:
            _execute(nb, path, timeout, None, "the run")
        except NotebookFailed as error:
            raise NotebookFailed(f"{path}: {error}; it was left as it was") from error
        atomic_write(path, nb)
        done.append(path)
    return done
