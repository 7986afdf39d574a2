"""Writing a user's files safely: atomically, and never through a link onto a source.

* :func:`atomic_write_text` / :func:`write_notebook` write to a temporary file in the target's
  folder and rename it over the target: the old file survives any failure (a full disk, an
  interrupted run), and a target that is a link is replaced, never written through.
* :func:`refuse_links_to` refuses, before anything is written, a target that is a source, or a
  symbolic or hard link (to a source or to anything else: a hard-linked copy shares its bytes).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import nbformat

__all__ = ["UnsafeOutputError", "atomic_write_bytes", "atomic_write_text", "write_notebook", "refuse_links_to"]


class UnsafeOutputError(ValueError):
    """An output path that would overwrite a source, or write through a link."""


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    if path.exists() and not path.is_symlink():
        mode = path.stat().st_mode & 0o7777  # keep the file's permissions
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask  # a new file: as open() would create it
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8 (a lone surrogate fails before anything is written)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_notebook(nb: nbformat.NotebookNode, path: str | Path) -> None:
    """Write ``nb`` as nbformat 4 JSON (as ``nbformat.write`` would), atomically."""
    text = nbformat.writes(nb, version=4)
    atomic_write_text(path, text if text.endswith("\n") else text + "\n")


def refuse_links_to(targets: Iterable[str | Path], sources: Iterable[str | Path]) -> None:
    """Raise :class:`UnsafeOutputError` if any existing target is one of ``sources`` (same path or same
    file) or a symbolic or hard link; nothing is written by this function."""
    sources = [Path(s) for s in sources]
    resolved = {s.resolve() for s in sources}
    for target in map(Path, targets):
        if target.is_symlink():
            raise UnsafeOutputError(
                f"{target} is a symbolic link (to {os.readlink(target)}): refusing to write through it; "
                "remove it first."
            )
        if target.resolve() in resolved:
            raise UnsafeOutputError(f"{target} is a source file: refusing to write over it.")
        if not target.exists():
            continue
        for source in sources:
            if source.exists() and os.path.samefile(target, source):
                raise UnsafeOutputError(f"{target} is the same file as {source} (a hard link): refusing to write.")
        if target.is_file() and target.stat().st_nlink > 1:
            raise UnsafeOutputError(
                f"{target} is a hard link shared with another file: refusing to write over it; remove it first."
            )
