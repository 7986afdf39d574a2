"""Bad input to the book's command line, drawn by hypothesis: malformed notebooks, outputs that are
inputs through paths, symbolic links, hard links and linked folders, outputs that cannot be
written and writes that fail half-way. Whatever is drawn, no byte of any input changes (sha256
before and after), a refusal names the file and exits with status 1, and no temporary file is
left behind. ``timings`` never gets as far as running a notebook here: every case is refused by
the checks that come first (or its runner is replaced by a stub)."""

import contextlib
import errno
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import nbformat
from bad_input import SETTINGS, tally
from bookfolders import book, command_args, hashes, notebook
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import booktools.files
import booktools.timings
from booktools.__main__ import main

AREA = "CLI"
VALID = nbformat.writes(notebook("T", "x = 1"))


def _run(args) -> tuple[int, str]:
    """``python -m booktools ARGS`` in this process: (exit status, what it printed)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in args])
        except SystemExit as exit:
            status = exit.code
    return status, out.getvalue() + err.getvalue()


def _refused(status: int, text: str, names) -> None:
    assert status == 1, text
    assert "Traceback" not in text
    assert any(name in text for name in names), text
    tally(AREA, "clear error", "booktools")


def _no_temporary_files(folder: Path) -> None:
    assert not [p for p in folder.rglob("*.tmp")], "a temporary file was left behind"


@contextlib.contextmanager
def _folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


# ---------------------------------------------------------------------------------------------
# Malformed notebooks


def _is_notebook(data: bytes) -> bool:
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8"), as_version=4, capture_validation_error={}))
    except Exception:  # noqa: BLE001 -- any failure means: not a notebook
        return False
    return True


def _mutated(where_value) -> bytes:
    where, value = where_value
    data = json.loads(VALID)
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return json.dumps(data).encode("utf-8")


JSON_VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=3),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
PLACES = [
    ("cells",),
    ("metadata",),
    ("nbformat",),
    ("nbformat_minor",),
    ("cells", 0),
    ("cells", 0, "source"),
    ("cells", 0, "cell_type"),
    ("cells", 1, "outputs"),
    ("cells", 1, "execution_count"),
    ("cells", 1, "metadata"),
]
MALFORMED = st.one_of(
    st.binary(max_size=64),
    st.integers(0, len(VALID) - 2).map(lambda i: VALID[:i].encode("utf-8")),  # cut short
    st.integers(1_000, 50_000).map(lambda n: ("[" * n + "]" * n).encode("ascii")),  # nested past any parser
    st.tuples(st.sampled_from(PLACES), JSON_VALUES).map(_mutated),  # JSON, but not a notebook
    st.just(VALID.encode("utf-16")),
    st.just(b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": ' + b"1" * 5000 + b"}"),
)


@settings(SETTINGS, max_examples=30)
@given(
    bad=MALFORMED,
    name=st.sampled_from(["00_bad", "02_bad", "99_bad"]),
    command=st.sampled_from(["student", "timings", "setup-cell"]),
)
def test_a_malformed_notebook_changes_nothing(bad, name, command):
    assume(not _is_notebook(bad))
    with _folder() as root:
        chapters = book(root)
        (chapters / f"{name}.ipynb").write_bytes(bad)
        before = hashes(chapters)
        args = command_args(command, chapters, root)
        _refused(*_run(args), [f"{name}.ipynb"])
        assert hashes(chapters) == before
        assert not (root / "out").exists() and not (root / "t.json").exists()
        _no_temporary_files(root)


# ---------------------------------------------------------------------------------------------
# Outputs that are inputs

KINDS = ["absent", "copy", "symlink", "hardlink"]


def _place(kind: str, source: Path, target: Path) -> None:
    if kind == "copy":
        shutil.copy2(source, target)
    elif kind == "symlink":
        target.symlink_to(source)
    elif kind == "hardlink":
        os.link(source, target)


@SETTINGS
@given(kinds=st.lists(st.sampled_from(KINDS), min_size=4, max_size=4), linked_folder=st.booleans())
def test_student_never_writes_through_a_link(kinds, linked_folder):
    with _folder() as root:
        chapters = book(root)
        sources = sorted(chapters.iterdir())  # three notebooks and timings.json
        out = root / "out"
        if linked_folder:
            out.symlink_to(chapters, target_is_directory=True)
        else:
            out.mkdir()
            for kind, source in zip(kinds, sources):
                _place(kind, source, out / source.name)
        before = hashes(chapters)
        # --force: a plain copy already there is overwritten (without it, a file the command did not
        # write is refused as a student's work: test_student.py); a link never is.
        status, text = _run(["student", chapters, "-o", out, "--force"])
        written_kinds = [k for k, p in zip(kinds, sources) if p.suffix == ".ipynb"]  # what the command writes
        if linked_folder or {"symlink", "hardlink"} & set(written_kinds):
            _refused(status, text, ["symbolic link", "hard link", "same path", "outside the chapters' folder"])
        else:
            assert status == 0, text
            notebooks = [p.name for p in sources if p.suffix == ".ipynb"]  # timings.json: no chapter reads it
            written = sorted(p.name for p in out.iterdir() if p.name != ".ghostedu-student.json")
            assert written == notebooks or written == [p.name for p in sources], written
            tally(AREA, "handled", "booktools")
        assert hashes(chapters) == before


@SETTINGS
@given(
    spelling=st.sampled_from(["plain", "dot", "dotdot", "symlink", "hardlink", "linked folder"]),
    target=st.sampled_from(["01_a.ipynb", "02_b.ipynb", "03_c.ipynb"]),
)
def test_timings_never_writes_over_a_notebook(spelling, target):
    with _folder() as root:
        chapters = book(root)
        source = chapters / target
        output = {
            "plain": source,
            "dot": chapters / "." / target,
            "dotdot": chapters / ".." / "chapters" / target,
            "symlink": root / "t.json",
            "hardlink": root / "t.json",
            "linked folder": root / "linked" / target,
        }[spelling]
        if spelling == "symlink":
            output.symlink_to(source)
        elif spelling == "hardlink":
            os.link(source, output)
        elif spelling == "linked folder":
            (root / "linked").symlink_to(chapters, target_is_directory=True)
        before = hashes(chapters)
        _refused(*_run(["timings", chapters, "-o", output]), [target])
        assert hashes(chapters) == before


@SETTINGS
@given(linked=st.sets(st.sampled_from(["01_a", "02_b", "03_c"])), how=st.sampled_from(["symlink", "hardlink"]))
def test_setup_cell_on_linked_notebooks_changes_only_what_it_was_given(linked, how):
    # Notebooks of a copy made with links (`cp -al`, or symbolic links to a shared folder).
    with _folder() as root:
        (root / "shared").mkdir()
        shared = book(root / "shared")
        copy_root = root / "copy"
        copy_root.mkdir()
        (copy_root / "_config.yml").write_text("repository:\n  url: https://example.org/o/r\n", encoding="utf-8")
        copy = copy_root / "chapters"
        copy.mkdir()
        for path in sorted(shared.glob("*.ipynb")):
            _place(how if path.stem in linked else "copy", path, copy / path.name)
        before = hashes(shared)
        status, text = _run(["setup-cell", copy])
        assert status == 0, text
        tally(AREA, "handled", "booktools")
        for path in sorted(copy.glob("*.ipynb")):
            assert nbformat.read(path, as_version=4).cells[0].metadata["tags"][0] == "setup"
            if how == "symlink" and path.stem in linked:
                assert path.is_symlink()  # the link stays a link; the file it points to is updated
        if how == "hardlink":
            assert hashes(shared) == before  # the other name of a hard link keeps its content
        _no_temporary_files(root)


# ---------------------------------------------------------------------------------------------
# Outputs that cannot be written, writes that fail half-way


@SETTINGS
@given(where=st.sampled_from(["under a file", "missing folder", "a folder", "not a timings file", "the config"]))
def test_timings_refuses_an_output_it_cannot_or_must_not_write(where):
    with _folder() as root:
        chapters = book(root)
        (root / "notes.txt").write_text("mine\n", encoding="utf-8")
        output = {
            "under a file": root / "notes.txt" / "t.json",
            "missing folder": root / "nowhere" / "t.json",
            "a folder": chapters,
            "not a timings file": root / "notes.txt",
            "the config": root / "_config.yml",
        }[where]
        before = hashes(root)
        _refused(*_run(["timings", chapters, "-o", output]), [str(output), output.name])
        assert hashes(root) == before


FAILING = {  # where a write can fail: making the temporary file, flushing it, its mode, the rename
    "mkstemp": (booktools.files.tempfile, "mkstemp"),
    "fsync": (booktools.files.os, "fsync"),
    "chmod": (booktools.files.os, "chmod"),
    "replace": (booktools.files.os, "replace"),
}


@SETTINGS
@given(
    fail=st.sampled_from(sorted(FAILING)),
    at=st.integers(1, 3),
    code=st.sampled_from([errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT]),
)
def test_setup_cell_writes_all_notebooks_or_none(fail, at, code):
    with _folder() as root:
        chapters = book(root)
        before = hashes(chapters)
        calls = []
        owner, name = FAILING[fail]
        real = getattr(owner, name)

        def failing(*args, **kwargs):
            calls.append(args)
            if len(calls) == at:
                raise OSError(code, os.strerror(code))
            return real(*args, **kwargs)

        with mock.patch.object(owner, name, failing):
            status, text = _run(["setup-cell", chapters])
        _refused(status, text, ["01_a.ipynb", "02_b.ipynb", "03_c.ipynb"])
        assert "unchanged" in text
        if fail != "replace" or at == 1:  # a rename needs no space; should one fail, those before it stand
            assert hashes(chapters) == before
        for path in chapters.glob("*.ipynb"):  # whatever happened, every notebook is whole
            nbformat.validate(nbformat.read(path, as_version=4))
        _no_temporary_files(root)


@SETTINGS
@given(code=st.sampled_from([errno.ENOSPC, errno.EIO, errno.EROFS]), existing=st.booleans())
def test_timings_keeps_the_old_file_and_prints_the_new_one_when_it_cannot_write(code, existing):
    def stub(paths, timeout, progress=None, total_timeout=None):
        return {"machine": "m", "total_seconds": 1.0, "notebooks": [{"file": "01_a.ipynb", "seconds": 1.0}]}

    with _folder() as root:
        chapters = book(root)
        output = root / "t.json"
        if existing:
            output.write_text('{"notebooks": []}\n', encoding="utf-8")
        before = hashes(root)

        def no_space(fd):
            raise OSError(code, os.strerror(code))

        with (
            mock.patch.object(booktools.timings, "time_notebooks", stub),
            mock.patch.object(booktools.files.os, "fsync", no_space),
        ):
            status, text = _run(["timings", chapters, "-o", output])
        _refused(status, text, ["t.json"])
        assert '"01_a.ipynb"' in text  # the measurements are printed, not lost
        assert hashes(root) == before
        _no_temporary_files(root)
