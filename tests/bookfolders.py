"""Book folders for the tests of the command line: notebooks, a ``_config.yml``, hashes of every file."""

import hashlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from booktools.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
URL = "https://example.org/o/r"


def notebook(title: str = "T", code: str = "x = 1", padding: int = 0) -> nbformat.NotebookNode:
    cells = [new_markdown_cell(f"# {title}"), new_code_cell(code)]
    if padding:
        cells.append(new_markdown_cell("padding " * (padding // 8)))
    return new_notebook(cells=cells)


def book(tmp_path: Path, names=("01_a", "02_b", "03_c"), padding: int = 0) -> Path:
    """A book folder: ``_config.yml`` with a repository, ``chapters/`` with notebooks and timings.json."""
    (tmp_path / "_config.yml").write_text(f"repository:\n  url: {URL}\n  branch: main\n", encoding="utf-8")
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    for name in names:
        nbformat.write(notebook(name, padding=padding), chapters / f"{name}.ipynb")
    (chapters / "timings.json").write_text('{"notebooks": []}\n', encoding="utf-8")
    return chapters


def command_args(command: str, chapters: Path, root: Path) -> list:
    """The arguments of ``python -m booktools COMMAND`` on ``chapters``, writing under ``root``
    (student copies to ``root/out``, timings to ``root/t.json``)."""
    return {
        "student": ["student", chapters, "-o", root / "out"],
        "timings": ["timings", chapters, "-o", root / "t.json"],
        "setup-cell": ["setup-cell", chapters],
    }[command]


def hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def run(args, capsys) -> tuple[int, str]:
    """``python -m booktools ARGS`` in this process: (exit status, stdout + stderr)."""
    try:
        status = main([str(a) for a in args])
    except SystemExit as exit:  # argparse
        status = exit.code
    out = capsys.readouterr()
    return status, out.out + out.err
