"""The book's commands never lose a user's file: each case of data loss, hang or silent wrong result
seen on the command line (the helpers behind the fixes, ``booktools.files``, are tested in
``test_files.py``).

Every test hashes the inputs before and after: a refused command changes no byte of them.
"""

import json
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from bookfolders import ROOT, URL, book, command_args, hashes, notebook, run

from booktools.__main__ import build_parser

# ---------------------------------------------------------------------------------------------
# Data loss


def test_student_refuses_an_output_folder_of_hard_links(tmp_path, capsys):
    # `cp -al chapters out`: every file of out/ is a hard link to a chapter.
    chapters = book(tmp_path)
    before = hashes(chapters)
    subprocess.run(["cp", "-al", str(chapters), str(tmp_path / "out")], check=True)
    status, text = run(["student", chapters, "-o", tmp_path / "out"], capsys)
    assert status == 1 and "hard link" in text and "01_a.ipynb" in text and "nothing was written" in text
    assert hashes(chapters) == before


def test_student_refuses_a_symbolic_link_in_the_output_folder(tmp_path, capsys):
    chapters = book(tmp_path)
    before = hashes(chapters)
    out = tmp_path / "out"
    out.mkdir()
    (out / "02_b.ipynb").symlink_to(chapters / "02_b.ipynb")
    status, text = run(["student", chapters, "-o", out], capsys)
    assert status == 1 and "symbolic link" in text and "02_b.ipynb" in text
    assert hashes(chapters) == before
    (tmp_path / "linked").symlink_to(chapters, target_is_directory=True)  # the folder itself, by a link
    status, text = run(["student", chapters, "-o", tmp_path / "linked"], capsys)
    assert status == 1 and hashes(chapters) == before


def _setup_cell_in_subprocess(chapters: Path, max_file_bytes: int) -> subprocess.CompletedProcess:
    """``python -m booktools setup-cell`` with files limited to ``max_file_bytes`` (a full disk)."""

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run(
        [sys.executable, "-m", "booktools", "setup-cell", str(chapters)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
    )


def test_setup_cell_on_a_full_disk_keeps_everynotebook(tmp_path):
    chapters = book(tmp_path, padding=300_000)  # notebooks of about 300 KB
    before = hashes(chapters)
    done = _setup_cell_in_subprocess(chapters, 100_000)
    assert done.returncode == 1, done.stderr
    assert "01_a.ipynb" in done.stderr and "unchanged" in done.stderr
    assert hashes(chapters) == before
    for path in chapters.glob("*.ipynb"):
        nbformat.validate(nbformat.read(path, as_version=4))


def test_setup_cell_refuses_a_notebook_it_cannot_write_and_changes_none(tmp_path, capsys):
    chapters = book(tmp_path)
    # A lone surrogate is valid JSON (an escape) but cannot be written as UTF-8.
    text = (chapters / "02_b.ipynb").read_text(encoding="utf-8").replace("# 02_b", "# 02_b \\ud800")
    (chapters / "02_b.ipynb").write_text(text, encoding="utf-8")
    before = hashes(chapters)
    status, out = run(["setup-cell", chapters], capsys)
    assert status == 1 and "02_b.ipynb" in out and "surrogate" in out
    assert hashes(chapters) == before


def test_timings_output_naming_a_notebook_is_refused(tmp_path, capsys):
    chapters = book(tmp_path, names=("01_a",))
    before = hashes(chapters)
    status, text = run(["timings", chapters, "-o", chapters / "01_a.ipynb"], capsys)
    assert status == 1 and "01_a.ipynb" in text
    assert hashes(chapters) == before


def test_timings_output_that_is_not_a_timings_file_is_kept(tmp_path, capsys):
    chapters = book(tmp_path, names=("01_a",))
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}\n', encoding="utf-8")
    status, text = run(["timings", chapters, "-o", notes], capsys)
    assert status == 1 and "notes.json" in text and "not a timings file" in text
    assert notes.read_text(encoding="utf-8") == '{"my": "notes"}\n'


def test_setup_cell_changes_all_notebooks_or_none(tmp_path, capsys):
    chapters = book(tmp_path, names=("01_a", "03_c"))
    (chapters / "02_b.ipynb").write_text('{"cells": [', encoding="utf-8")  # cut short
    before = hashes(chapters)
    status, text = run(["setup-cell", chapters], capsys)
    assert status == 1 and "02_b.ipynb" in text and "not valid JSON" in text
    assert hashes(chapters) == before  # 01_a, before the malformed one, is unchanged too


# ---------------------------------------------------------------------------------------------
# Hangs


@pytest.mark.parametrize("option", ["--timeout", "--total-timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "ten"])
def test_timings_timeouts_must_be_positive(option, value, capsys):
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["timings", "chapters", "-o", "t.json", option, value])
    assert exit.value.code == 2
    assert f"argument {option}: expected a whole number of seconds >= 1, got {value!r}" in capsys.readouterr().err


def _timedbook(tmp_path: Path, cells: dict[str, str]) -> Path:
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    for name, code in cells.items():
        nbformat.write(notebook(name, code), chapters / f"{name}.ipynb")
    return chapters


@pytest.mark.slow  # starts Jupyter kernels
def test_timings_names_and_records_a_failing_notebook_and_keeps_the_others(tmp_path, capsys):
    chapters = _timedbook(
        tmp_path, {"01_ok": "x = 1", "02_fails": "1 / 0", "03_hangs": "import time\ntime.sleep(600)", "04_ok": "y = 2"}
    )
    before = hashes(chapters)
    start = time.monotonic()
    status, text = run(["timings", chapters, "-o", tmp_path / "t.json", "--timeout", "3"], capsys)
    assert time.monotonic() - start < 120
    assert status == 1 and "02_fails.ipynb" in text and "ZeroDivisionError" in text and "03_hangs.ipynb" in text
    result = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert [row["file"] for row in result["notebooks"]] == ["01_ok.ipynb", "04_ok.ipynb"]
    failed = {row["file"]: row["error"] for row in result["failed"]}
    assert "ZeroDivisionError" in failed["02_fails.ipynb"] and "3 s" in failed["03_hangs.ipynb"]
    assert hashes(chapters) == before


@pytest.mark.slow  # starts Jupyter kernels
def test_timings_stops_at_the_overall_limit(tmp_path, capsys):
    chapters = _timedbook(tmp_path, {"01_slow": "import time\ntime.sleep(600)", "02_next": "x = 1"})
    start = time.monotonic()
    status, text = run(
        ["timings", chapters, "-o", tmp_path / "t.json", "--timeout", "600", "--total-timeout", "4"], capsys
    )
    assert time.monotonic() - start < 90
    assert status == 1 and "overall limit of 4 s" in text
    result = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert {row["file"] for row in result["failed"]} == {"01_slow.ipynb", "02_next.ipynb"}


# ---------------------------------------------------------------------------------------------
# Silent wrong results


def test_setup_cell_on_a_missing_or_empty_folder_is_an_error(tmp_path, capsys):
    status, text = run(["setup-cell", tmp_path / "nowhere", "--repo-url", URL], capsys)
    assert status == 1 and "nowhere" in text and "no such folder" in text
    (tmp_path / "empty").mkdir()
    status, text = run(["setup-cell", tmp_path / "empty", "--repo-url", URL], capsys)
    assert status == 1 and "no notebooks" in text


@pytest.mark.parametrize(
    "url, branch",
    [
        ('https://example.org/o/r"; rm -rf ~; echo "', "main"),
        ("https://example.org/o/r'", "main"),
        ("https://example.org/o r", "main"),
        ("https://example.org/$(id)", "main"),
        ("https://example.org/o/r", "main; id"),
        ("https://example.org/o/r", "-e"),
        ("http://example.org/o/r", "main"),
    ],
)
def test_setup_cell_refuses_a_repository_it_would_write_unescaped(tmp_path, capsys, url, branch):
    chapters = book(tmp_path)
    before = hashes(chapters)
    status, text = run(["setup-cell", chapters, f"--repo-url={url}", f"--branch={branch}"], capsys)
    assert status == 1 and "setup-cell: expected" in text
    assert hashes(chapters) == before


@pytest.mark.parametrize("command", ["student", "timings", "setup-cell"])
@pytest.mark.parametrize("content", ["{", "", "[]", '{"cells": 3}', "\x00\x01binary"])
def test_a_notebook_that_is_not_valid_is_named_by_every_command(tmp_path, capsys, command, content):
    chapters = book(tmp_path, names=("02_b",))
    (chapters / "01_bad.ipynb").write_text(content, encoding="utf-8")
    before = hashes(chapters)
    args = command_args(command, chapters, tmp_path)
    status, text = run(args, capsys)
    assert status == 1 and "01_bad.ipynb" in text and "Traceback" not in text
    assert hashes(chapters) == before and not (tmp_path / "t.json").exists()
