"""A class graded end to end with nbgrader, on two chapters: release, collect a folder of four
submissions, autograde, feedback and the gradebook -- with the exact points of each student.

The four students of each chapter: ``alice`` answers every exercise as the chapter's solutions do;
``bob`` hands in the student copy untouched; ``carol`` makes typical mistakes (some exercises right,
some wrong); ``dave`` leaves the stubs but edits the locked check and test cells to print
"Correct". nbgrader puts dave's cells back as released before grading, so he gets no point, and the
grading report and the gradebook name him. One test class per chapter, so that pytest-xdist's
``--dist loadscope`` grades the two chapters on two workers.

Also here: the student copies of all chapters hold no solution, hidden test, expected value or
stored output (``make student``), and the time limit per notebook of the autograder.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import re
import time
from pathlib import Path

import nbformat
import pytest

from booktools import course
from booktools.exercise_cells import BEGIN_HIDDEN, find_exercises

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"


def _solution_region(cell_source: str) -> str:
    """The code between the markers of a chapter's solution cell (what a student who got it right writes)."""
    return re.search(r"# BEGIN SOLUTION\n(.*?)\n# END SOLUTION", cell_source, re.DOTALL).group(1)


def _answer(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _submissions(
    chapter: str, released: nbformat.NotebookNode, wrong: dict[str, str]
) -> dict[str, nbformat.NotebookNode]:
    source = nbformat.read(CHAPTERS / f"{chapter}.ipynb", as_version=4)
    exercises = find_exercises(source, chapter)
    right = copy.deepcopy(released)
    for ex in exercises:
        _answer(right, f"{ex.label}-answer").source = _solution_region(source.cells[ex.solutions[0]].source)
    mistakes = copy.deepcopy(right)
    for label, code in wrong.items():
        _answer(mistakes, f"{label}-answer").source = code
    tampered = copy.deepcopy(released)
    for ex in exercises:
        for kind in ("check", "test"):
            _answer(tampered, f"{ex.label}-{kind}").source = "print('Correct')"
    return {"alice": right, "bob": copy.deepcopy(released), "carol": mistakes, "dave": tampered}


class _CourseEndToEnd:
    chapter: str
    wrong: dict[str, str]  # exercise label -> carol's answer code
    points: dict[str, float]  # student -> the points autograding must give
    max_points: float

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        self = cls
        base = tmp_path_factory.mktemp(f"course-{self.chapter}")
        where = base / "course"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            course.release(CHAPTERS, where, [self.chapter])
            released = nbformat.read(where / "release" / self.chapter / f"{self.chapter}.ipynb", as_version=4)
            inbox = base / "inbox"
            for n, (student, nb) in enumerate(_submissions(self.chapter, released, self.wrong).items()):
                # both layouts a collected folder may have: <student>/<chapter>.ipynb, <student>_<chapter>.ipynb
                path = inbox / student / f"{self.chapter}.ipynb" if n % 2 else inbox / f"{student}_{self.chapter}.ipynb"
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, path)
            course.collect(where, self.chapter, inbox)
            start = time.perf_counter()
            rows = course.autograde(where, self.chapter, notebook_timeout=300, quiet=True)
            seconds = time.perf_counter() - start
            feedback = course.feedback(where, self.chapter)
            grades = course.gradebook(where, base / "grades.csv")
        print(f"{self.chapter}: autograding 4 submissions took {seconds:.0f} s")
        return {"where": where, "rows": rows, "log": out.getvalue(), "feedback": feedback, "grades": grades}

    def test_exact_points(self, graded):
        scores = {row.student: row.score for row in graded["rows"]}
        assert scores == self.points
        assert {row.max_score for row in graded["rows"]} == {self.max_points}

    def test_the_tampered_submission_is_named(self, graded):
        edited = {row.student: row.edited for row in graded["rows"]}
        assert [s for s, cells in edited.items() if cells] == ["dave"]
        n_exercises = len(find_exercises(nbformat.read(CHAPTERS / f"{self.chapter}.ipynb", as_version=4)))
        assert len(edited["dave"]) == 2 * n_exercises  # every check and every hidden test
        assert all(re.fullmatch(r"ex-[\w-]+-(check|test): source changed", e) for e in edited["dave"])
        assert "EDITED LOCKED CELLS: dave changed" in graded["log"]
        assert graded["log"].count("EDITED LOCKED CELLS") == 1

    def test_gradebook_has_one_row_per_student_and_exercise(self, graded):
        with open(graded["grades"], newline="") as f:
            rows = list(csv.DictReader(f))
        labels = [ex.label for ex in find_exercises(nbformat.read(CHAPTERS / f"{self.chapter}.ipynb", as_version=4))]
        assert sorted((r["student_id"], r["exercise"]) for r in rows) == sorted(
            (s, label) for s in self.points for label in labels
        )
        for student, points in self.points.items():
            assert sum(float(r["score"]) for r in rows if r["student_id"] == student) == points
        assert {r["student_id"] for r in rows if r["edited_locked_cells"]} == {"dave"}

    def test_feedback_shows_scores_and_hints_never_hidden_tests(self, graded):
        pages = {path.parts[-3]: path.read_text(encoding="utf-8") for path in graded["feedback"]}
        assert sorted(pages) == sorted(self.points)
        hidden = [
            line.strip()
            for ex_cell in _hidden_cells(self.chapter)
            for line in ex_cell.split(BEGIN_HIDDEN)[1].splitlines()
            if len(line.strip()) > 12
        ]
        for student, page in pages.items():
            assert "BEGIN HIDDEN TESTS" not in page and "_hidden_test" not in page, student
            for line in hidden:
                assert line not in page, (student, line)
            text = re.sub(r"<[^>]+>|\s+", " ", page)
            assert f"{self.chapter} (Score: {self.points[student]:.1f} / {self.max_points:.1f})" in text
        assert "not answered yet" in pages["bob"]
        assert "Hint:" in pages["carol"]


def _hidden_cells(chapter: str) -> list[str]:
    nb = nbformat.read(CHAPTERS / f"{chapter}.ipynb", as_version=4)
    return [nb.cells[ex.test].source for ex in find_exercises(nb)]


@pytest.mark.slow  # runs nbgrader and eight notebooks
class TestCourseConvArithmetic(_CourseEndToEnd):
    chapter = "01_conv_arithmetic"
    wrong = {
        "ex-conv-arithmetic-length": "out_len = (50 - 5) // 3 + 1  # forgot the padding",
        "ex-conv-arithmetic-rf": "rf = 1 + 31 + 1 + 2  # as if every stride were 1",
    }
    points = {"alice": 4.0, "bob": 0.0, "carol": 2.0, "dave": 0.0}
    max_points = 4.0


@pytest.mark.slow  # runs nbgrader and eight notebooks
class TestCourseMultiscale(_CourseEndToEnd):
    chapter = "08_multiscale_1d"
    wrong = {
        "ex-multiscale-lengths": (
            "conv1_len = (2000 - 32) // 8 + 1\npool1_len = conv1_len // 2\nbranch_len = pool1_len // 8\n"
            "pool2_len = branch_len - 7\nn_features_2000 = 3 * 256 * pool2_len"
        ),
        "ex-multiscale-anylength": (
            "class AnyLengthNet(Net):\n    def __init__(self):\n        self.pool2 = nn.AdaptiveMaxPool1d(1)"
        ),
    }
    points = {"alice": 4.0, "bob": 0.0, "carol": 1.0, "dave": 0.0}
    max_points = 4.0


# ---------------------------------------------------------------------------------------------------
# The student copies of every chapter


@pytest.mark.slow  # runs nbgrader on every chapter
def test_student_copies_hold_no_answer(tmp_path):
    from test_exercises import CASES, _secrets

    written = course.student_copies(CHAPTERS, tmp_path)
    notebooks = sorted(p for p in written if p.suffix == ".ipynb")
    assert [p.name for p in notebooks] == sorted(p.name for p in CHAPTERS.glob("*.ipynb"))
    secrets = {  # the answers the check reads (a solution's intermediate values may be given in the text)
        case["id"]: _secrets({k: v for k, v in case["right"].items() if re.search(rf"\b{k}\b", case["check"])})
        for case in CASES
    }
    checked = 0
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        source = nbformat.read(CHAPTERS / path.name, as_version=4)
        text = "\n".join(cell.source for cell in nb.cells)
        for marker in ("BEGIN SOLUTION", BEGIN_HIDDEN, "_hidden_test", "{glue:text}", "{solution-start}"):
            assert marker not in text, (path.name, marker)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
        exercises = find_exercises(source, path.name)
        solutions = {i for ex in exercises for i in ex.solutions}
        elsewhere = "\n".join(c.source for i, c in enumerate(source.cells) if i not in solutions)
        for ex in exercises:
            for index in ex.solutions:  # no line of a solution survives (comments, signatures aside)
                for line in _solution_region(source.cells[index].source).splitlines():
                    line = line.split("#")[0].strip()
                    if len(line) > 8 and not line.startswith(("def ", "class ")) and line not in elsewhere:
                        assert line not in text, (path.name, line)
            # the exercise's cells in the copy (task, stub, check, hidden-test comment) show no answer
            start = next(i for i, c in enumerate(nb.cells) if f":label: {ex.label}" in c.source)
            block = "\n".join(c.source for c in nb.cells[start : start + len(ex.solutions) + 3])
            assert f"{ex.label}-test" in str(nb.cells[start + len(ex.solutions) + 2].metadata)
            for secret in secrets[ex.label]:
                assert not re.search(rf"(?<![\d.,]){re.escape(secret)}(?![\d])", block), (ex.label, secret)
            checked += 1
    assert checked == len(CASES)


@pytest.mark.slow  # starts a kernel
def test_autograder_time_limit_per_notebook():
    from booktools.grading import ExecuteWithDeadline

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(60)"), nbformat.v4.new_code_cell("print('after')")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    start = time.perf_counter()
    ExecuteWithDeadline(notebook_timeout=4, timeout=100).preprocess(nb, {"metadata": {"path": "."}})
    assert time.perf_counter() - start < 30
    assert nb.cells[0].outputs[-1].ename == "CellTimeoutError"
    assert nb.cells[1].outputs[0].text == "after\n"  # a quick cell after the deadline still runs
    with pytest.raises(ValueError, match="positive"):
        ExecuteWithDeadline(notebook_timeout=0).preprocess(nb, {})
