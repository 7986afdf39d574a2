"""Reading and writing a user's files so that nothing they own is ever lost: the one home of it.

Every command of ``python -m booktools`` that writes goes through this module, in three steps:

1. **Check every input before changing anything.** :func:`require_folder` (a folder that exists),
   :func:`notebooks_in` (its notebooks, at least one), :func:`read_notebooks` (each parses as JSON
   and validates as a notebook; every bad file is named in one :class:`InputError`),
   :func:`check_writable` (an output's folder exists and is a folder), :func:`notebook_bytes`
   (a notebook can be written as UTF-8 at all).
2. **Refuse to write over an input.** :func:`refuse_same_file` raises :class:`SameFileError` when
   an output is the same file as an input: the same path however spelled, a symbolic link, or a
   hard link (same device and inode, as ``cp -al`` makes them), also anywhere inside an output
   folder, and also when an input or output is a folder reached through a link.
3. **Write atomically.** :func:`atomic_write` writes text, bytes or a notebook to a temporary file
   in the target's own folder, flushes it to disk (``fsync``) and renames it over the target
   (``os.replace``): a reader sees the old file or the new one, never a part. Whatever fails -- a
   full disk, a text that cannot be encoded, an interrupted process -- the original survives and
   the temporary file is removed. :func:`write_all` does the same for several files at once, all
   or none: every temporary file is written and flushed before the first rename.

Errors are :class:`InputError` (a ``ValueError``; :class:`SameFileError` is one) and
:class:`WriteError` (an ``OSError``); each message names the file. A command catches
``(InputError, WriteError)``, prints the message and exits with status 1.

A writer of student copies, for example, would do::

    notebooks = read_notebooks(notebooks_in(chapters))          # all parse, or nothing happens
    refuse_same_file(output_folder, [chapters])                  # no output is a chapter
    write_all({output_folder / path.name: student(nb) for path, nb in notebooks})

The target of :func:`atomic_write` is written where a symbolic link points (the link stays a link);
a hard link, which is the same file under two names, is replaced under this name only, so the other
name keeps the old content. The new file keeps the permissions of the one it replaces.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import nbformat

__all__ = [
    "InputError",
    "SameFileError",
    "WriteError",
    "require_folder",
    "notebooks_in",
    "read_notebook",
    "read_notebooks",
    "notebook_bytes",
    "check_writable",
    "refuse_same_file",
    "atomic_write",
    "write_all",
]

Content = str | bytes | nbformat.NotebookNode


class InputError(ValueError):
    """An input a command cannot use (a missing folder, a notebook that does not parse); nothing was written."""


class SameFileError(InputError):
    """An output that is the same file as an input; nothing was written."""


class WriteError(OSError):
    """A file could not be written; the original, if any, is unchanged."""


# ---------------------------------------------------------------------------------------------------
# 1. Inputs, all checked before anything is written


def require_folder(path: str | Path, what: str = "folder") -> Path:
    """``path`` as a Path, or an :class:`InputError` unless it is an existing folder."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such folder (the {what})")
    if not path.is_dir():
        raise InputError(f"{path}: not a folder (the {what})")
    return path


def notebooks_in(folder: str | Path) -> list[Path]:
    """The ``*.ipynb`` files of ``folder`` in name order; an :class:`InputError` when the folder is
    missing or holds none."""
    folder = require_folder(folder, "folder of notebooks")
    notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if not notebooks:
        raise InputError(f"{folder}: no notebooks (*.ipynb) in this folder")
    return notebooks


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` (nbformat 4), validated; an :class:`InputError` naming the file when it
    cannot be read, is not UTF-8, is not JSON or is not a valid notebook."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not a notebook: not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        json.loads(text)
    except (ValueError, RecursionError) as error:
        raise InputError(f"{path}: not valid JSON ({error}), so not a notebook") from None
    try:
        # Validation errors are raised here, not logged by nbformat on the way.
        nb = nbformat.reads(text, as_version=4, capture_validation_error={})
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises many kinds for many kinds of wrong structure
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"{path}: not a valid notebook ({first_line})") from None
    return nb


def read_notebooks(paths: Iterable[str | Path]) -> list[tuple[Path, nbformat.NotebookNode]]:
    """``(path, notebook)`` for each of ``paths``, each read by :func:`read_notebook`. Every file is
    read before any error is raised, and the :class:`InputError` names every bad one."""
    good, bad = [], []
    for path in map(Path, paths):
        try:
            good.append((path, read_notebook(path)))
        except InputError as error:
            bad.append(str(error))
    if bad:
        raise InputError("\n".join(bad) if len(bad) == 1 else f"{len(bad)} notebooks are not valid:\n" + "\n".join(bad))
    return good


def notebook_bytes(nb: nbformat.NotebookNode, path: str | Path) -> bytes:
    """``nb`` as the bytes of its ``.ipynb`` file (what ``nbformat.write`` writes), or an
    :class:`InputError` naming ``path`` when it cannot be written: a lone surrogate in its text,
    which JSON can escape but UTF-8 cannot encode, or a structure that is not a valid notebook."""
    try:
        text = nbformat.writes(nb, version=4)
        if not text.endswith("\n"):
            text += "\n"  # as nbformat.write ends the file
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(
            f"{path}: cannot be written as UTF-8: its text holds {error.object[error.start : error.end]!r}, "
            "a lone surrogate (half of a character); remove it from the notebook"
        ) from None
    except Exception as error:
        raise InputError(f"{path}: cannot be written as a notebook ({error})") from None


def check_writable(path: str | Path) -> Path:
    """``path`` as a Path, or an :class:`InputError` unless a file can be made there: its folder exists
    and is a folder, and ``path`` itself is not a folder. (Run before a long job, so that the job's
    work is not lost for want of a place to put it.)"""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file to write")
    if not folder.exists():
        raise InputError(f"{path}: cannot be written: no such folder {folder}")
    if not folder.is_dir():
        raise InputError(f"{path}: cannot be written: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{path}: cannot be written: no permission to write in {folder}")
    return path


# ---------------------------------------------------------------------------------------------------
# 2. Outputs that are inputs


def _identity(path: Path) -> tuple[int, int] | None:
    """``(device, inode)`` of the file ``path`` leads to (links followed), None if it does not exist."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _files_under(path: Path) -> list[Path]:
    """``path`` itself and, for a folder, everything beneath it (not following links to folders)."""
    found = [path]
    if path.is_dir():
        for root, dirs, names in os.walk(path):
            found += [Path(root) / name for name in (*dirs, *names)]
    return found


def _relation(output: Path, source: Path) -> str:
    """How two paths of one file are related, for the message."""
    if os.path.realpath(output) != os.path.realpath(source):
        return "a hard link to the same file"
    if os.path.abspath(output) == os.path.abspath(source):
        return "the same path"
    return "the same file through a symbolic link"


def refuse_same_file(outputs: str | Path | Iterable[str | Path], inputs: str | Path | Iterable[str | Path]) -> None:
    """A :class:`SameFileError` when one of ``outputs`` is the same file as one of ``inputs``.

    ``outputs`` and ``inputs`` are paths or lists of paths; a folder stands for itself and for
    everything beneath it. Two paths are the same file when they lead to the same device and inode
    (``os.stat``, links followed): the same path however spelled (``a/../a/x.ipynb``), a symbolic
    link, a hard link. Paths that do not exist yet cannot be an input. The message names both paths
    and says which link it is; call it before writing anything.
    """
    outputs = [outputs] if isinstance(outputs, (str, Path)) else list(outputs)
    inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    known: dict[tuple[int, int], Path] = {}
    for source in (p for i in inputs for p in _files_under(Path(i))):
        identity = _identity(source)
        if identity is not None:
            known.setdefault(identity, source)
    for output in (p for o in outputs for p in _files_under(Path(o))):
        identity = _identity(output)
        if identity in known:
            source = known[identity]
            raise SameFileError(
                f"{output}: is {_relation(output, source)} as the input {source}; writing it would change "
                "the input, so nothing was written (write to a new or empty folder, or remove the link)"
            )


# ---------------------------------------------------------------------------------------------------
# 3. Writing, atomically


def _as_bytes(path: Path, content: Content) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, nbformat.NotebookNode):
        return notebook_bytes(content, path)
    if isinstance(content, str):
        try:
            return content.encode("utf-8")
        except UnicodeEncodeError as error:
            raise WriteError(
                f"{path}: cannot be written as UTF-8: the text holds "
                f"{error.object[error.start : error.end]!r}, a lone surrogate; the original is unchanged"
            ) from None
    raise TypeError(f"atomic_write: expected str, bytes or a notebook for {path}, got {type(content).__name__}")


def _target(path: Path) -> Path:
    """Where ``path`` leads: a symbolic link's target, so that the link stays a link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _temporary(target: Path, data: bytes) -> Path:
    """``data`` written and flushed to a new temporary file beside ``target``, with ``target``'s
    permissions (or the usual ones for a new file); removed again if anything fails."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk, where the system allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _failed(path: Path, error: OSError) -> WriteError:
    reason = error.strerror or str(error)
    return WriteError(error.errno, f"{path}: could not be written ({reason}); the original is unchanged")


def atomic_write(path: str | Path, content: Content) -> Path:
    """Write ``content`` -- text (UTF-8), bytes or a notebook -- to ``path`` atomically, and return ``path``.

    A temporary file in the same folder is written and flushed, then renamed over ``path``. On any
    failure the original is unchanged and no temporary file is left; the error is a
    :class:`WriteError` (or an :class:`InputError` for a notebook that cannot be written) naming
    ``path``. See the module's docstring for links and permissions.
    """
    return next(iter(write_all({path: content})))


def write_all(contents: Mapping[str | Path, Content]) -> list[Path]:
    """Write every ``path: content`` of ``contents`` atomically, all or none; return the paths.

    Everything is converted to bytes first (an unwritable notebook changes nothing), then every
    temporary file is written and flushed; only when all of them are on disk are they renamed over
    their targets, one after the other. A full disk, an encoding error or a missing folder fails
    before the renames: no target has changed, and every temporary file is removed. (A rename
    itself needs no space; should one still fail, as when a folder is made read-only meanwhile,
    the targets renamed before it keep their new content, and each other target its old one.)
    """
    paths = [Path(p) for p in contents]
    data = [_as_bytes(path, content) for path, content in zip(paths, contents.values())]
    targets = [_target(path) for path in paths]
    temporaries: list[Path] = []
    try:
        for path, target, blob in zip(paths, targets, data):
            try:
                temporaries.append(_temporary(target, blob))
            except OSError as error:
                raise _failed(path, error) from None
        for path, target, temporary in zip(paths, targets, temporaries):
            try:
                os.replace(temporary, target)
            except OSError as error:
                raise _failed(path, error) from None
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)  # those not renamed, after a failure
    for folder in {target.parent for target in targets}:
        _sync_folder(folder)
    return paths
