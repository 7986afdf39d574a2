"""nbgrader, configured for the book: the few pieces it does not do as the book needs, and the settings.

The chapters are nbgrader's source notebooks (one assignment per chapter, see
:mod:`booktools.exercise_cells`). nbgrader does the work -- student copies, checksums of the
locked cells, collecting, autograding, feedback, the gradebook -- and these small subclasses and
plugins change only what the book needs changed:

* :class:`FillGlue` (student copy) writes the values that ``{glue:text}`` roles stand for into the
  text, from the chapter's stored outputs: JupyterLab does not know glue.
* :class:`DropFoldedSolution` (student copy) removes the markdown of each folded solution (the
  ``{solution-start}``/``{solution-end}`` markers and any explanation between them), which would
  give the answer away in the student copy.
* :class:`StubSolutions` (student copy) is nbgrader's ``ClearSolutions`` with the book's stubs: an
  answer becomes ``name = None  # YOUR CODE HERE`` (the check then says "not answered yet"), a
  function or class keeps its signature and docstring (:func:`booktools.student.stub_cell_source`).
  One fixed ``code_stub`` cannot serve both values and functions.
* :class:`RecordEditedCells` (autograde) is nbgrader's ``OverwriteCells``, which puts back every
  locked cell a student changed (so an edited check or test cell grades nothing), and which here
  also records those cells in the graded notebook, for :mod:`booktools.course`'s report and the
  gradebook. Deleted test cells are put back too (``add_missing_cells``).
* :class:`ExecuteWithDeadline` (autograde) is nbgrader's ``Execute`` with a time limit for the whole
  notebook on top of nbgrader's limit per cell.
* :class:`HideHiddenTests` (feedback) strips the hidden tests -- their code and their output -- from
  the feedback a student receives, which nbgrader otherwise shows.
* :class:`ExerciseCsvExport` (export) writes the gradebook with one row per student and exercise.

:func:`configure` puts them in place; the course folder's ``nbgrader_config.py`` (written by
``python -m booktools course``) calls it, so plain ``nbgrader`` commands run in that folder see the
same settings.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import re
import time
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.plugins import ExportPlugin
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, Execute, NbGraderPreprocessor, OverwriteCells
from traitlets import Bool, Integer

from .exercise_cells import find_exercises
from .files import atomic_write
from .student import stub_cell_source

__all__ = [
    "COURSE_ID",
    "COLLECT_REGEXP",
    "EDITED_KEY",
    "FillGlue",
    "DropFoldedSolution",
    "StubSolutions",
    "RecordEditedCells",
    "ExecuteWithDeadline",
    "HideHiddenTests",
    "ExerciseCsvExport",
    "edited_cells",
    "configure",
]

COURSE_ID = "ghostedu"
# Where the graded notebook's metadata records the locked cells a student changed.
EDITED_KEY = "ghostedu_edited_locked_cells"
# Submitted files, in a folder handed to `nbgrader zip_collect`: <student>/<chapter>.ipynb or
# <student>_<chapter>.ipynb (chapter names start with two digits and an underscore).
COLLECT_REGEXP = r".*/(?P<student_id>[^/]+?)[/_](?P<file_id>\d\d_\w+\.ipynb)$"

_GLUE = re.compile(r"\{glue:text\}`([^`]+)`")


def _notebook_name(resources) -> str:
    return (resources or {}).get("nbgrader", {}).get("notebook", "notebook")


class FillGlue(NbGraderPreprocessor):
    """Replace each ``{glue:text}`key:format``` in the markdown by the value it shows in the book.

    The values are read from the notebook's stored outputs with myst-nb's own functions (as the
    book's build does with ``execute_notebooks: off``); run this before the outputs are cleared.
    A role whose value is not stored is an error naming the notebook and the key.
    """

    def preprocess(self, nb, resources):
        from myst_nb.core.variables import format_plain_text
        from myst_nb.ext.glue import extract_glue_data_cell

        name = _notebook_name(resources)
        data = {}
        for cell in nb.cells:
            if cell.cell_type == "code":
                data.update(extract_glue_data_cell(copy.deepcopy(cell)))

        def fill(match: re.Match) -> str:
            key, _, fmt = match.group(1).rpartition(":")
            if not key:
                key, fmt = fmt, "s"
            if "::" in key:
                raise ValueError(
                    f"{name}: {{glue:text}}`{match.group(1)}` glues from another document; not supported here."
                )
            if key not in data or "text/plain" not in data[key].get("data", {}):
                raise ValueError(
                    f"{name}: no stored value for {{glue:text}}`{match.group(1)}`; execute the chapter first "
                    "(make execute): the student copy takes glued values from its stored outputs."
                )
            return format_plain_text(data[key]["data"]["text/plain"], fmt)

        for cell in nb.cells:
            if cell.cell_type == "markdown" and "{glue:text}" in cell.source:
                cell.source = _GLUE.sub(fill, cell.source)
        return nb, resources


class DropFoldedSolution(NbGraderPreprocessor):
    """Remove the markdown cells of each exercise's folded solution (markers included)."""

    def preprocess(self, nb, resources):
        folded = {index for ex in find_exercises(nb, _notebook_name(resources)) for index in ex.folded}
        nb.cells = [cell for index, cell in enumerate(nb.cells) if index not in folded]
        return nb, resources


class StubSolutions(ClearSolutions):
    """nbgrader's ClearSolutions, with the book's stubs for the code between the solution markers."""

    def preprocess_cell(self, cell, resources, cell_index):
        self._where = f"{_notebook_name(resources)}, cell {cell_index}"
        return super().preprocess_cell(cell, resources, cell_index)

    def _replace_solution_region(self, cell, language):
        if cell.cell_type != "code" or self.begin_solution_delimeter not in cell.source:
            return super()._replace_solution_region(cell, language)
        cell.source = stub_cell_source(cell.source, getattr(self, "_where", "cell"))
        return True


class RecordEditedCells(OverwriteCells):
    """nbgrader's OverwriteCells (every locked cell put back as released), recording what the student changed.

    The graded notebook's metadata ``ghostedu_edited_locked_cells`` lists ``"<grade_id>: <what>"`` for
    each locked cell the student changed (its source, its type, its lock or its points) or deleted; an
    untouched submission has an empty list. A cell's source is compared with the cell as released --
    the gradebook's source with the hidden tests cleared, as nbgrader's release clears them (nbgrader's
    own warning compares with the hidden tests in, and so fires for every submission).
    """

    add_missing_cells = Bool(True, help="Put deleted test cells back before grading.").tag(config=True)

    def preprocess(self, nb, resources):
        self._edited: list[str] = []
        present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            notebook = gb.find_notebook(resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"])
            locked = [cell.name for cell in notebook.source_cells if cell.locked]
        self._edited += [f"{grade_id}: deleted" for grade_id in locked if grade_id not in present]
        nb, resources = super().preprocess(nb, resources)
        nb.metadata[EDITED_KEY] = sorted(set(self._edited))
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            try:
                source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source = None
            if source is not None:
                released = copy.deepcopy(cell)
                released.source = source.source
                ClearHiddenTests(parent=self)._remove_hidden_test_region(released)
                if utils.compute_checksum(released) != utils.compute_checksum(cell):
                    self._edited.append(f"{grade_id}: source changed")
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name, attr, old, new):
        if attr == "checksum":  # a hidden-test cell always differs from the gradebook: see preprocess_cell
            self.log.debug("Cell %s put back as it is in the gradebook", name)
            return
        super().report_change(name, attr, old, new)
        self._edited.append(f"{name}: {attr} changed")


def edited_cells(path: str | Path) -> list[str]:
    """The locked cells recorded as edited in a graded notebook (see :class:`RecordEditedCells`)."""
    return list(nbformat.read(path, as_version=4).metadata.get(EDITED_KEY, []))


class ExecuteWithDeadline(Execute):
    """nbgrader's Execute with a limit for the whole notebook (``notebook_timeout`` seconds) on top of
    its limit per cell (``timeout``). Past the deadline each remaining cell gets one second, so the
    hidden tests after a runaway cell still run, and a notebook never holds the grader for long."""

    notebook_timeout = Integer(600, help="Seconds allowed for a whole notebook (positive).").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        if self.notebook_timeout <= 0:
            raise ValueError(f"ExecuteWithDeadline.notebook_timeout must be positive, got {self.notebook_timeout}")
        deadline = time.monotonic() + self.notebook_timeout
        per_cell = self.timeout if self.timeout and self.timeout > 0 else math.inf

        def remaining(cell) -> int:
            return int(max(1, min(per_cell, math.ceil(deadline - time.monotonic()))))

        self.timeout_func = remaining
        return super().preprocess(nb, resources, km)


class HideHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for the feedback: the hidden tests' code and their output go; the
    cell's first comment line and the score nbgrader shows for it stay."""

    def preprocess_cell(self, cell, resources, cell_index):
        hidden = self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if hidden and cell.cell_type == "code":
            cell.outputs = []
        return cell, resources


class ExerciseCsvExport(ExportPlugin):
    """The gradebook as CSV, one row per student and exercise (nbgrader's own CSV has one per assignment).

    Columns: ``student_id, chapter, exercise, score, max_score, submitted, edited_locked_cells``;
    ``exercise`` is the exercise's label (its hidden test's grade id without ``-test``), and
    ``edited_locked_cells`` names that exercise's locked cells the student changed (empty if none).
    """

    def export(self, gradebook) -> None:
        dest = Path(self.to or "grades.csv")
        coursedir = getattr(self.parent, "coursedir", None)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["student_id", "chapter", "exercise", "score", "max_score", "submitted", "edited_locked_cells"])
        students = [s for s in gradebook.students if not self.student or s.id in self.student]
        for assignment in gradebook.assignments:
            if self.assignment and assignment.name not in self.assignment:
                continue
            for notebook in assignment.notebooks:
                for student in students:
                    edited: list[str] = []
                    if coursedir is not None:
                        graded = (
                            Path(coursedir.format_path(coursedir.autograded_directory, student.id, assignment.name))
                            / f"{notebook.name}.ipynb"
                        )
                        edited = edited_cells(graded) if graded.exists() else []
                    for cell in notebook.grade_cells:
                        label = cell.name.removesuffix("-test")
                        try:
                            grade = gradebook.find_grade(cell.name, notebook.name, assignment.name, student.id)
                            score, submitted = grade.score, "yes"
                        except MissingEntry:
                            score, submitted = 0.0, "no"
                        mine = [e for e in edited if e.split(":")[0].rsplit("-", 1)[0] == label]
                        writer.writerow(
                            [
                                student.id,
                                assignment.name,
                                label,
                                f"{score:g}",
                                f"{cell.max_score:g}",
                                submitted,
                                "; ".join(mine),
                            ]
                        )
        atomic_write(dest, out.getvalue())
        self.log.info("Wrote %s", dest)


def _replaced(preprocessors, old, new):
    if old not in preprocessors:
        raise RuntimeError(f"nbgrader no longer uses {old.__name__}; booktools.grading needs updating.")
    return [new if pp is old else pp for pp in preprocessors]


def _default(cls, trait: str) -> list:
    return list(cls.class_traits()[trait].default())


def configure(c, root: str | Path | None = None) -> None:
    """Put the book's nbgrader settings into the traitlets config ``c`` (course folder ``root``)."""
    if root is not None:
        c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.GenerateAssignment.preprocessors = [
        FillGlue,
        DropFoldedSolution,
        *_replaced(_default(GenerateAssignment, "preprocessors"), ClearSolutions, StubSolutions),
    ]
    c.Autograde.sanitize_preprocessors = _replaced(
        _default(Autograde, "sanitize_preprocessors"), OverwriteCells, RecordEditedCells
    )
    c.Autograde.autograde_preprocessors = _replaced(
        _default(Autograde, "autograde_preprocessors"), Execute, ExecuteWithDeadline
    )
    c.GenerateFeedback.preprocessors = [HideHiddenTests, *_default(GenerateFeedback, "preprocessors")]
    c.ExportApp.plugin_class = ExerciseCsvExport
    c.FileNameCollectorPlugin.named_regexp = COLLECT_REGEXP
    # Per cell; the whole notebook has ExecuteWithDeadline.notebook_timeout (600 s by default). The
    # slowest chapter runs in about 30 s on a laptop CPU.
    c.ExecuteWithDeadline.timeout = 300
