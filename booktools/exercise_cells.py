"""The exercises of a chapter notebook, and the nbgrader metadata of their cells.

An exercise is a run of cells, the same in every chapter::

    ```{exercise} Title            markdown: the task, with ``:label: ex-...``
    ```{solution-start} ex-...     markdown: the dropdown that folds the solution in the book
    # BEGIN SOLUTION ...           code, tagged ``solution``: the answer between the markers
    (markdown)                     optional: more of the solution, folded with it
    ```{solution-end}              markdown
    ex.check_...(answer)           code: the visible check (a hint that names the mistake)
    # Hidden test (1 point) ...    code, tagged ``remove-cell``: ``### BEGIN HIDDEN TESTS`` ...
                                   ``### END HIDDEN TESTS``, which decides the points

:func:`find_exercises` reads that structure (and says, naming the notebook and the cell, what does not
fit it); :func:`apply_metadata` writes the nbgrader metadata that makes the chapter an nbgrader
source notebook: the solution cells are answer cells, the check cells are locked (read-only, not
graded), the hidden-test cells are locked graded tests worth the points their first line states. The
grade ids come from the exercise's label (``ex-depthwise-params-answer``, ``-check``, ``-test``), so
they stay the same when cells are added elsewhere in the chapter. Run it after changing an exercise:
``python -m booktools exercises chapters`` (``--check`` only reports).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = [
    "SOLUTION_TAG",
    "HIDDEN_TEST_TAG",
    "BEGIN_HIDDEN",
    "END_HIDDEN",
    "ExerciseStructureError",
    "Exercise",
    "find_exercises",
    "nbgrader_metadata",
    "apply_metadata",
]

SOLUTION_TAG = "solution"
# jupyter-book removes a cell with this tag from the rendered page; strict nbval still runs it.
HIDDEN_TEST_TAG = "remove-cell"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
NBGRADER_SCHEMA = 3

_LABEL = re.compile(r"^:label:\s*(\S+)\s*$", re.MULTILINE)
_POINTS = re.compile(r"\((\d+) points?\)")
_SOLUTION_MARKER = re.compile(r"^\s*#+\s*(BEGIN|END) SOLUTION\s*$", re.MULTILINE)


class ExerciseStructureError(ValueError):
    """An exercise whose cells do not have the structure the book's tools rely on."""


@dataclass
class Exercise:
    """The cells (indices into ``nb.cells``) of one exercise."""

    label: str
    task: int
    solutions: list[int] = field(default_factory=list)
    folded: list[int] = field(default_factory=list)  # solution-start .. solution-end, markdown cells
    check: int = -1
    test: int = -1
    points: int = 1


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _is_hidden_test(cell) -> bool:
    return cell.cell_type == "code" and BEGIN_HIDDEN in cell.source


def find_exercises(nb: nbformat.NotebookNode, name: str = "notebook") -> list[Exercise]:
    """The exercises of ``nb`` in order; :class:`ExerciseStructureError` names what does not fit."""
    exercises = []
    cells = nb.cells
    i = 0
    while i < len(cells):
        cell = cells[i]
        if not (cell.cell_type == "markdown" and "{exercise}" in cell.source):
            if cell.cell_type == "code" and SOLUTION_TAG in _tags(cell):
                raise ExerciseStructureError(f"{name}, cell {i}: a solution cell outside an exercise.")
            if _is_hidden_test(cell):
                raise ExerciseStructureError(f"{name}, cell {i}: a hidden test outside an exercise.")
            if cell.cell_type == "code" and _SOLUTION_MARKER.search(cell.source):
                raise ExerciseStructureError(
                    f"{name}, cell {i}: has a solution marker but is not tagged {SOLUTION_TAG!r}; tag it (inside an "
                    "exercise) so that the student copy hides the solution."
                )
            i += 1
            continue
        where = f"{name}, cell {i}"
        match = _LABEL.search(cell.source)
        if not match:
            raise ExerciseStructureError(f"{where}: the exercise has no `:label:`; give it one (ex-<chapter>-<name>).")
        ex = Exercise(label=match.group(1), task=i)
        j = i + 1
        if j >= len(cells) or f"{{solution-start}} {ex.label}" not in cells[j].source:
            raise ExerciseStructureError(
                f"{where}: exercise {ex.label!r} is not followed by ```{{solution-start}} {ex.label}."
            )
        ex.folded.append(j)
        j += 1
        while j < len(cells) and "{solution-end}" not in cells[j].source:
            if cells[j].cell_type == "code":
                if SOLUTION_TAG not in _tags(cells[j]):
                    raise ExerciseStructureError(
                        f"{name}, cell {j}: a code cell inside the solution of {ex.label!r} is not tagged "
                        f"{SOLUTION_TAG!r}."
                    )
                ex.solutions.append(j)
            else:
                ex.folded.append(j)
            j += 1
        if j >= len(cells):
            raise ExerciseStructureError(f"{where}: the solution of {ex.label!r} has no ```{{solution-end}}.")
        ex.folded.append(j)
        if not ex.solutions:
            raise ExerciseStructureError(f"{where}: the solution of {ex.label!r} has no code cell.")
        j += 1
        if j >= len(cells) or cells[j].cell_type != "code" or _is_hidden_test(cells[j]):
            raise ExerciseStructureError(
                f"{name}, cell {j}: exercise {ex.label!r} needs its check cell right after ```{{solution-end}}."
            )
        ex.check = j
        j += 1
        if j >= len(cells) or not _is_hidden_test(cells[j]):
            raise ExerciseStructureError(
                f"{name}, cell {j}: exercise {ex.label!r} needs a hidden-test cell ({BEGIN_HIDDEN} ... "
                f"{END_HIDDEN}) right after its check cell."
            )
        ex.test = j
        source = cells[j].source
        if END_HIDDEN not in source or source.index(END_HIDDEN) < source.index(BEGIN_HIDDEN):
            raise ExerciseStructureError(f"{name}, cell {j}: `{BEGIN_HIDDEN}` without `{END_HIDDEN}` after it.")
        points = _POINTS.search(source.split(BEGIN_HIDDEN)[0])
        ex.points = int(points.group(1)) if points else 1
        exercises.append(ex)
        i = j + 1
    labels = [ex.label for ex in exercises]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ExerciseStructureError(f"{name}: exercise labels used twice: {duplicates}.")
    return exercises


def nbgrader_metadata(grade_id: str, *, solution: bool = False, grade: bool = False, points: int = 0) -> dict:
    """nbgrader's cell metadata (schema 3): an answer cell (``solution``), a graded test (``grade``,
    locked) or a read-only cell (neither: locked, not graded)."""
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": NBGRADER_SCHEMA,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def apply_metadata(nb: nbformat.NotebookNode, name: str = "notebook") -> bool:
    """Write the nbgrader metadata of every exercise cell of ``nb`` (in place); True if anything changed.

    Cells that are not part of an exercise lose any nbgrader metadata, so that a removed exercise
    leaves no stale grade id behind.
    """
    exercises = find_exercises(nb, name)
    wanted: dict[int, dict] = {}
    for ex in exercises:
        for n, index in enumerate(ex.solutions):
            suffix = "" if n == 0 else f"-{n + 1}"
            wanted[index] = nbgrader_metadata(f"{ex.label}-answer{suffix}", solution=True)
        wanted[ex.check] = nbgrader_metadata(f"{ex.label}-check")
        wanted[ex.test] = nbgrader_metadata(f"{ex.label}-test", grade=True, points=ex.points)
    changed = False
    for index, cell in enumerate(nb.cells):
        meta = cell.setdefault("metadata", {})
        if index in wanted:
            if meta.get("nbgrader") != wanted[index]:
                meta["nbgrader"] = wanted[index]
                changed = True
        elif "nbgrader" in meta:
            del meta["nbgrader"]
            changed = True
    for ex in exercises:
        tags = nb.cells[ex.test].metadata.setdefault("tags", [])
        if HIDDEN_TEST_TAG not in tags:
            tags.append(HIDDEN_TEST_TAG)
            changed = True
    return changed


def apply_to_folder(folder: str | Path, check_only: bool = False) -> list[Path]:
    """Apply :func:`apply_metadata` to every notebook of ``folder``; returns the notebooks that changed
    (or, with ``check_only``, that would change; nothing is written then).

    Every notebook is read and checked before any is written, and each is written atomically.
    """
    from .files import atomic_write

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of notebooks.")
    updated = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if apply_metadata(nb, str(path)):
            updated.append((path, nb))
    if not check_only:
        for path, nb in updated:
            atomic_write(path, nb)
    return [path for path, _ in updated]
