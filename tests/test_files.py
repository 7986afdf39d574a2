"""``booktools.files``, the one home of safe reading and writing: atomic writes that keep the
original on any failure, all-or-none writes of several files, outputs that are inputs (paths, links,
hard links, folders), and inputs checked and named before anything is written."""

import os

import pytest
from bookfolders import book, run

from booktools import files


def test_atomic_write_replaces_a_file_whole(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    files.atomic_write(target, "new text")
    assert target.read_text(encoding="utf-8") == "new text"
    assert (target.stat().st_mode & 0o777) == 0o640  # the permissions are kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary file left


def test_atomic_write_keeps_the_original_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    target.write_text("old", encoding="utf-8")

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", no_space)
    with pytest.raises(files.WriteError, match=r"a\.txt.*No space left on device.*unchanged"):
        files.atomic_write(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_atomic_write_of_text_that_cannot_be_encoded_touches_nothing(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(files.WriteError, match=r"a\.txt.*surrogate"):
        files.atomic_write(target, "bad \ud800")
    assert target.read_text(encoding="utf-8") == "old"


def test_write_all_writes_every_file_or_none(tmp_path, monkeypatch):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("a0", encoding="utf-8")
    b.write_text("b0", encoding="utf-8")
    calls = []
    real_fsync = os.fsync

    def fail_second(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", fail_second)
    with pytest.raises(files.WriteError, match="b.txt"):
        files.write_all({a: "a1", b: "b1"})
    assert (a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")) == ("a0", "b0")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
    monkeypatch.setattr(files.os, "fsync", real_fsync)
    files.write_all({a: "a1", b: b"b1"})
    assert (a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")) == ("a1", "b1")


def test_atomic_write_through_a_symbolic_link_writes_its_target(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    files.atomic_write(link, "new")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new"


def test_refuse_same_file_sees_paths_links_and_folders(tmp_path):
    chapters = book(tmp_path)
    nb = chapters / "01_a.ipynb"
    files.refuse_same_file(tmp_path / "fresh.json", [chapters])  # a new file: fine
    for output, kind in [
        (nb, "the same path"),
        (chapters / ".." / "chapters" / "01_a.ipynb", "the same path"),
        (chapters, "the same path"),
    ]:
        with pytest.raises(files.SameFileError, match=kind):
            files.refuse_same_file(output, [chapters])
    (tmp_path / "sym.ipynb").symlink_to(nb)
    with pytest.raises(files.SameFileError, match="symbolic link"):
        files.refuse_same_file(tmp_path / "sym.ipynb", [nb])
    os.link(nb, tmp_path / "hard.ipynb")
    with pytest.raises(files.SameFileError, match="hard link"):
        files.refuse_same_file(tmp_path / "hard.ipynb", [chapters])
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").mkdir()
    os.link(chapters / "timings.json", out / "sub" / "t.json")
    with pytest.raises(files.SameFileError, match=r"out/sub/t\.json.*hard link.*timings\.json"):
        files.refuse_same_file(out, [chapters])


def test_read_notebooks_names_every_bad_file(tmp_path):
    chapters = book(tmp_path, names=("01_a",))
    (chapters / "02_x.ipynb").write_text("{", encoding="utf-8")
    (chapters / "03_y.ipynb").write_text('{"cells": 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    with pytest.raises(files.InputError) as info:
        files.read_notebooks(files.notebooks_in(chapters))
    assert "02_x.ipynb: not valid JSON" in str(info.value) and "03_y.ipynb: not a valid notebook" in str(info.value)
    assert [p.name for p, _ in files.read_notebooks([chapters / "01_a.ipynb"])] == ["01_a.ipynb"]


def test_check_output_folder_and_file(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(files.InputError, match="not a folder"):
        files.check_writable(tmp_path / "file" / "t.json")
    with pytest.raises(files.InputError, match="no such folder"):
        files.check_writable(tmp_path / "missing" / "t.json")
    with pytest.raises(files.InputError, match="is a folder"):
        files.check_writable(tmp_path)
    files.check_writable(tmp_path / "t.json")


def test_no_temporary_file_is_left_behind_by_a_command(tmp_path, capsys):
    chapters = book(tmp_path)
    assert run(["setup-cell", chapters], capsys)[0] == 0
    assert sorted(p.name for p in chapters.iterdir()) == ["01_a.ipynb", "02_b.ipynb", "03_c.ipynb", "timings.json"]
