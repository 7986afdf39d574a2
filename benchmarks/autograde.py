"""How long nbgrader takes to grade one chapter for a class: release, collect N submissions, autograde.

Run from the repository root with the venv's Python (not a test; it takes minutes)::

    .venv/bin/python -m benchmarks.autograde                          # 30 submissions of chapter 01
    .venv/bin/python -m benchmarks.autograde --chapter 04_depthwise --students 10

The submissions cycle through four kinds: the chapter's own solutions, the untouched student copy,
the solutions with the first exercise left unanswered, and the check cells edited to print
"Correct". The course
folder is temporary. Prints the wall time of the autograde step, per submission too, with the
machine that ran it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import tempfile
import time
from pathlib import Path

import nbformat

from booktools import course
from booktools.exercise_cells import find_exercises
from ghostedu.bench import machine_label

ROOT = Path(__file__).resolve().parents[1]


def submissions(chapter: Path, released: nbformat.NotebookNode, n: int) -> dict[str, nbformat.NotebookNode]:
    """``n`` submissions of ``chapter``, cycling through right, untouched, one unanswered and edited checks."""
    source = nbformat.read(chapter, as_version=4)
    exercises = find_exercises(source, chapter.name)

    def cell(nb, grade_id):
        return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)

    right = nbformat.from_dict(released)
    for ex in exercises:
        solution = source.cells[ex.solutions[0]].source
        cell(right, f"{ex.label}-answer").source = re.sub(r"# (BEGIN|END) SOLUTION\n?", "", solution)
    unanswered = nbformat.from_dict(right)
    first = f"{exercises[0].label}-answer"
    cell(unanswered, first).source = cell(released, first).source
    edited = nbformat.from_dict(released)
    for ex in exercises:
        cell(edited, f"{ex.label}-check").source = "print('Correct')"
    kinds = [right, released, unanswered, edited]
    return {f"student{i:02d}": kinds[i % 4] for i in range(n)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapter", default="01_conv_arithmetic", help="the chapter to grade")
    parser.add_argument("--students", type=int, default=30, help="number of submissions (default 30)")
    args = parser.parse_args(argv)
    chapter = ROOT / "chapters" / f"{args.chapter}.ipynb"
    with tempfile.TemporaryDirectory() as temp:
        where = Path(temp) / "course"
        with contextlib.redirect_stdout(io.StringIO()):
            course.release(ROOT / "chapters", where, [args.chapter])
        released = nbformat.read(where / "release" / args.chapter / chapter.name, as_version=4)
        inbox = Path(temp) / "inbox"
        for student, nb in submissions(chapter, released, args.students).items():
            (inbox / student).mkdir(parents=True)
            nbformat.write(nb, inbox / student / chapter.name)
        with contextlib.redirect_stdout(io.StringIO()):
            course.collect(where, args.chapter, inbox)
        start = time.perf_counter()
        rows = course.autograde(where, args.chapter, quiet=True)
        seconds = time.perf_counter() - start
    edited = sum(bool(row.edited) for row in rows)
    print(f"{machine_label()}")
    print(
        f"autograde {args.chapter}: {len(rows)} submissions in {seconds:.0f} s "
        f"({seconds / len(rows):.1f} s each); {edited} named for edited locked cells"
    )


if __name__ == "__main__":
    main()
