"""How long each chapter notebook takes to run, measured, with the machine that measured it.

``python -m booktools timings chapters -o chapters/timings.json`` executes every notebook with
``nbclient`` (a fresh kernel each, started in the notebook's folder: kernel start-up is included) and
writes the wall time of each to a JSON file. The page "How long each notebook takes to run"
(``chapters/99_notebook_timings.ipynb``) reads that file; the page "For teachers" links to it.
"""

from __future__ import annotations

import json
import platform
import re
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import torch

from ghostedu import device
from ghostedu.bench import cpu_model, machine_label

__all__ = ["notebook_title", "time_notebook", "time_notebooks", "write_timings", "read_timings", "refresh_timing_pages"]


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


def time_notebook(path: str | Path, timeout: int = 600, kernel_name: str = "python3") -> float:
    """Wall seconds to execute the notebook at ``path`` from start to end (the file is not changed)."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def time_notebooks(paths, timeout: int = 600, progress: Callable[[str], None] | None = None) -> dict:
    """Execute each notebook in ``paths`` in turn; a dict ready for :func:`write_timings`.

    Notebooks whose metadata sets ``ghostedu.timings`` to false (the timing page itself) are skipped.
    """
    rows = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        if _skipped(nb):
            continue
        seconds = time_notebook(path, timeout=timeout)
        code_cells = sum(cell.cell_type == "code" for cell in nb.cells)
        rows.append(
            {
                "file": path.name,
                "title": notebook_title(nb, path.stem),
                "seconds": round(seconds, 1),
                "code_cells": code_cells,
            }
        )
        if progress:
            progress(f"{path.name}: {seconds:.1f} s")
    dev = device()  # the device the notebooks ran on
    return {
        "machine": machine_label(dev),
        "cpu": cpu_model(),
        "threads": torch.get_num_threads(),
        "device": dev.type,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "total_seconds": round(sum(row["seconds"] for row in rows), 1),
        "notebooks": rows,
    }


def write_timings(result: dict, path: str | Path) -> None:
    """Write ``result`` (from :func:`time_notebooks`) as indented JSON."""
    Path(path).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_timings(path: str | Path) -> dict:
    """Read a file written by :func:`write_timings`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def refresh_timing_pages(paths, timeout: int = 600) -> list[Path]:
    """Re-execute in place the notebooks among ``paths`` that show the timings (metadata
    ``ghostedu.timings`` false), so that their stored outputs match a newly written timings file.
    Returns the notebooks re-executed."""
    from nbclient import NotebookClient

    done = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        if not _skipped(nb):
            continue
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": str(path.parent.resolve())}},
        ).execute()
        nbformat.write(nb, path)
        done.append(path)
    return done
