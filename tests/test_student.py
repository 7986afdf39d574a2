"""The student copy: solutions become stubs, and each exercise's check and hidden test fail on the
stub and pass on the solution, in the notebook's own context -- on a small synthetic notebook and on
every chapter in chapters/.

The round trip runs, in one kernel, the student copy's code cells up to the last exercise; at each
exercise it runs the stub, the check (which must fail with an ExerciseError -- "not answered yet" --
or with the stub's NotImplementedError "YOUR CODE HERE") and the hidden test (which must fail), then
the original solution, the check again (which must print "Correct") and the hidden test (which must
pass), and goes on. One test class per chapter notebook, so that pytest-xdist's ``--dist loadscope``
spreads the notebooks over the workers.
"""

from __future__ import annotations

import ast
import builtins
import copy
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from booktools import student
from booktools.course import CourseError, student_copies
from booktools.exercise_cells import BEGIN_HIDDEN, END_HIDDEN, apply_metadata, find_exercises
from booktools.setup_cell import SETUP_TAG, add_setup_cell
from booktools.student import SOLUTION_TAG, SolutionRegionError, stub_cell_source

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
STUB_ERRORS = {"ExerciseError", "NotImplementedError"}


# ---------------------------------------------------------------------------------------------------
# The round trip


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _is_solution(cell) -> bool:
    return cell.cell_type == "code" and SOLUTION_TAG in _tags(cell)


def _step(cell, role: str, exercise: int | None = None):
    cell = copy.deepcopy(cell)
    cell.outputs, cell.execution_count = [], None
    cell.metadata = {"roundtrip": {"role": role, "exercise": exercise}}
    return cell


def _names(source: str) -> tuple[set[str], set[str]] | None:
    """``(defined, used)``: the names a cell binds (assignments, imports, def, class) and the names it
    reads, builtins left out. None when the cell cannot be analysed (e.g. a cell magic)."""
    from IPython.core.inputtransformer2 import TransformerManager

    if source.lstrip().startswith("%%"):
        return None
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None
    defined, used, local, updated = set(), set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            local.add(node.arg)  # a function's parameters are its own
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            updated.add(node.target.id)  # `x += 1` reads x: it changes x, it does not bind it afresh
        elif isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else defined).add(node.id)
    return defined - updated - _BUILTINS, (used | updated) - _BUILTINS - local


def _static_names(cells) -> set[str]:
    """Names bound by ``import``, ``def`` or ``class`` at the top of a cell: using them changes nothing."""
    static = set()
    for _, cell in cells:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                static |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                static.add(node.name)
    return static


_BUILTINS = set(dir(builtins)) | {"get_ipython", "display"}


def _slice(cells: list[tuple[tuple, nbformat.NotebookNode]]) -> list[tuple[tuple, nbformat.NotebookNode]]:
    """The cells the exercises depend on, by name (a backward liveness pass): walking back from the
    last exercise, a cell is kept when it binds a name still needed, or mentions one that is not a
    module, function or class (mentioning it may change it, as ``fit(model, ...)`` changes ``model``);
    a name it binds is then no longer needed from the cells
    before it, and the names it reads (less those it binds itself) are. Exercise cells and cells that
    cannot be analysed are always kept."""
    static = _static_names(cells)
    live: set[str] = set()
    kept = []
    for key, cell in reversed(cells):
        names = _names(cell.source)
        if names is None:
            kept.append((key, cell))
            continue
        defined, used = names
        if key[0] != "cell" or live & (defined | (used - static)):
            kept.append((key, cell))
            live = (live - defined) | (used - defined)
    return kept[::-1]


def _stubbed(cell, where: str) -> nbformat.NotebookNode:
    cell = copy.deepcopy(cell)
    cell.source = stub_cell_source(cell.source, where)
    return cell


def roundtrip_notebook(
    original: nbformat.NotebookNode, name: str, only_needed: bool = True
) -> tuple[nbformat.NotebookNode, int]:
    """The cells to run: the student copy's code cells up to the last hidden test (with ``only_needed``,
    only those the exercises depend on, see :func:`_slice`), where each exercise is run as
    stub -> check -> hidden test -> solution -> check -> hidden test. Returns the notebook and the
    number of exercises."""
    exercises = find_exercises(original, name)
    by_check = {ex.check: (number, ex) for number, ex in enumerate(exercises, start=1)}
    inside = {i for ex in exercises for i in (*ex.solutions, ex.test)}
    last = max((ex.test for ex in exercises), default=-1)
    plan = []
    for index, cell in enumerate(original.cells[: last + 1]):
        if cell.cell_type != "code" or index in inside:
            continue
        if index not in by_check:
            plan.append((("cell", None), cell))
            continue
        number, ex = by_check[index]
        test = original.cells[ex.test]
        plan += [(("stub", number), _stubbed(original.cells[i], f"{name}, cell {i}")) for i in ex.solutions]
        plan += [(("check-stub", number), cell), (("test-stub", number), test)]
        plan += [(("solution", number), original.cells[i]) for i in ex.solutions]
        plan += [(("check-solution", number), cell), (("test-solution", number), test)]
    if only_needed:
        plan = _slice(plan)
    steps = [_step(cell, role, ex) for (role, ex), cell in plan]
    for number, cell in enumerate(steps):
        cell.id = f"roundtrip-{number}"  # a cell run twice (the check) needs an id of its own each time
    run = nbformat.v4.new_notebook(cells=steps, metadata=copy.deepcopy(original.metadata))
    return run, len(exercises)


def _error(cell):
    return next((out for out in cell.outputs if out.output_type == "error"), None)


def _stdout(cell) -> str:
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")


def run_roundtrip(original: nbformat.NotebookNode, name: str, cwd: Path) -> list[str]:
    """Run the round trip; returns the problems found (empty when every exercise behaves).

    First only the cells the exercises depend on are run (fast); if anything is wrong there, the
    whole notebook up to the last exercise is run and its problems are the answer (a dependency the
    name analysis missed, such as a cell that sets an environment variable, cannot fail the test).
    """
    problems = _execute_roundtrip(original, name, cwd, only_needed=True)
    if problems:
        problems = _execute_roundtrip(original, name, cwd, only_needed=False)
    return problems


def _execute_roundtrip(original: nbformat.NotebookNode, name: str, cwd: Path, only_needed: bool) -> list[str]:
    from nbclient import NotebookClient

    run, n_exercises = roundtrip_notebook(original, name, only_needed=only_needed)
    assert n_exercises, f"{name}: no exercise (a cell tagged {SOLUTION_TAG!r} followed by a check cell)"
    NotebookClient(
        run, timeout=600, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    problems = []
    for cell in run.cells:
        role, ex = cell.metadata["roundtrip"]["role"], cell.metadata["roundtrip"]["exercise"]
        err = _error(cell)
        where = f"{name}, exercise {ex}"
        if role == "check-stub":
            if err is None:
                problems.append(f"{where}: the check passed on the stub:\n{cell.source}")
            elif err.ename not in STUB_ERRORS:
                problems.append(
                    f"{where}: on the stub the check raised {err.ename}: {err.evalue} "
                    f"(expected an ExerciseError saying what is missing)"
                )
            elif err.ename == "NotImplementedError" and "YOUR CODE HERE" not in err.evalue:
                problems.append(f"{where}: NotImplementedError without 'YOUR CODE HERE': {err.evalue}")
            elif err.ename == "ExerciseError" and not re.search(r"not answered|YOUR CODE HERE|Hint", err.evalue):
                problems.append(
                    f"{where}: the check's message on the stub does not say that the answer is missing: {err.evalue!r}"
                )
        elif role == "test-stub" and err is None:
            problems.append(f"{where}: the hidden test passed on the stub")
        elif role == "test-solution" and err is not None:
            problems.append(f"{where}: the hidden test fails on the solution: {err.ename}: {err.evalue}")
        elif role == "check-solution":
            if err is not None:
                problems.append(f"{where}: the check fails on the solution: {err.ename}: {err.evalue}")
            elif "Correct" not in _stdout(cell):
                problems.append(f"{where}: the check printed no 'Correct' on the solution: {_stdout(cell)!r}")
        elif role == "solution" and err is not None:
            problems.append(f"{where}: the solution cell raised {err.ename}: {err.evalue}")
    return problems


# ---------------------------------------------------------------------------------------------------
# A small synthetic notebook with every kind of answer


def _code(source: str, tags=()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stored output\n")]
    cell.execution_count = 7
    return cell


def _exercise(label: str, solution: str, check: str, test: str) -> list:
    md = nbformat.v4.new_markdown_cell
    return [
        md(f"```{{exercise}} {label}\n:label: ex-test-{label}\n\nDo it.\n```"),
        md(f"```{{solution-start}} ex-test-{label}\n:class: dropdown\n```"),
        _code(f"# BEGIN SOLUTION\n{solution}\n# END SOLUTION", tags=[SOLUTION_TAG]),
        md(f"The answer of {label} is explained here."),
        md("```{solution-end}\n```"),
        _code(check),
        _code(f"# Hidden test (1 point)\n{BEGIN_HIDDEN}\n{test}\n{END_HIDDEN}", tags=["remove-cell"]),
    ]


def synthetic_notebook() -> nbformat.NotebookNode:
    md = nbformat.v4.new_markdown_cell
    cells = [
        md("# A synthetic chapter\n\nTwo numbers, a function and a class to write."),
        _code(
            "from torch import nn\n\nfrom ghostedu.exercises import ExerciseError, check_true, check_value\n"
            "from ghostedu.layers import conv_dw\nfrom myst_nb import glue\n\nglue('width', 2528, display=False)"
        ),
        md("A `conv_dw(32, 64)` has {glue:text}`width:,` parameters."),
        *_exercise(
            "count",
            "n_params = sum(p.numel() for p in conv_dw(32, 64).parameters())",
            "check_value('n_params', n_params, 2528, hint='count both convolutions and both norms')",
            "assert n_params == 2528",
        ),
        *_exercise(
            "pair",
            "kernel, stride = 3, 2",
            "check_value('kernel', kernel, 3)\ncheck_value('stride', stride, 2)",
            "assert (kernel, stride) == (3, 2)",
        ),
        *_exercise(
            "function",
            "def out_length(length: int, k: int, s: int = 1) -> int:\n"
            '    """Output length of a valid convolution."""\n    return (length - k) // s + 1',
            "check_value('out_length(10, 3, 2)', out_length(10, 3, 2), 4)",
            "assert out_length(10, 3, 2) == 4",
        ),
        *_exercise(
            "class",
            "class Doubler(nn.Module):\n    def forward(self, x):\n        return 2 * x",
            "check_true('Doubler', issubclass(Doubler, nn.Module), 'Doubler must be an nn.Module')\n"
            "check_value('Doubler()(3)', Doubler()(3), 6)",
            "assert Doubler()(3) == 6",
        ),
        md("## Summary\n\nDone."),
        _code("print('after the exercises')"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    add_setup_cell(nb, "https://example.org/ghostedu/ghostedu")
    # the glued value, as an executed chapter stores it
    nb.cells[2].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "2528"},
            metadata={"scrapbook": {"name": "width", "mime_prefix": "application/papermill.record/"}},
        )
    ]
    apply_metadata(nb)
    return nb


@pytest.mark.slow  # runs nbgrader
def test_student_copy_of_synthetic_notebook(tmp_path):
    src, out = tmp_path / "chapters", tmp_path / "student"
    src.mkdir()
    original = synthetic_notebook()
    nbformat.write(original, src / "01_test.ipynb")
    (src / "timings.json").write_text("{}\n")
    (src / "unrelated.txt").write_text("not named by the notebook\n")
    written = student_copies(src, out)
    assert written == [out / "01_test.ipynb"]  # timings.json is not named by the notebook
    nb = nbformat.read(out / "01_test.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    for leaked in [
        "BEGIN SOLUTION",
        "numel",
        "kernel, stride = 3, 2",
        "// s + 1",
        "return 2 * x",
        "is explained here",
        "solution-start",
        "solution-end",
        BEGIN_HIDDEN,
        "assert",
        "{glue:text}",
    ]:
        assert leaked not in text, leaked
    for stub in [
        "n_params = None  # YOUR CODE HERE",
        "kernel = None  # YOUR CODE HERE",
        "stride = None  # YOUR CODE HERE",
        'raise NotImplementedError("out_length: YOUR CODE HERE")',
        "def out_length(length: int, k: int, s: int=1) -> int:",
        '"""Output length of a valid convolution."""',
        "class Doubler(nn.Module):",
        'raise NotImplementedError("Doubler.forward: YOUR CODE HERE")',
        "A `conv_dw(32, 64)` has 2,528 parameters.",
        "# Hidden test (1 point)",
    ]:
        assert stub in text, stub
    kept = [c for c in original.cells if not re.search(r"\{solution-(start|end)\}|is explained here", c.source)]
    assert [c.cell_type for c in nb.cells] == [c.cell_type for c in kept]
    for before, after in zip(kept, nb.cells):
        if before.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None
            if "nbgrader" not in before.metadata:
                assert after.source == before.source
            else:  # nbgrader locks the tests and checks, and records their checksums
                assert after.metadata["nbgrader"]["grade_id"] == before.metadata["nbgrader"]["grade_id"]
    assert SETUP_TAG in _tags(nb.cells[0])
    for cell in nb.cells:  # every stubbed cell is valid Python
        if SOLUTION_TAG in _tags(cell):
            compile(cell.source, "stub", "exec")


@pytest.mark.slow  # runs nbgrader
def test_student_copy_never_overwrites_a_students_work(tmp_path):
    src, out = tmp_path / "chapters", tmp_path / "student"
    src.mkdir()
    nbformat.write(synthetic_notebook(), src / "01_test.ipynb")
    student_copies(src, out)
    student_copies(src, out)  # unchanged copies are rewritten without a word
    copy_path = out / "01_test.ipynb"
    copy_path.write_text(copy_path.read_text().replace("n_params = None", "n_params = 2528"))
    edited = copy_path.read_bytes()
    with pytest.raises(CourseError, match=r"differ from the student copy .*01_test\.ipynb.*--force"):
        student_copies(src, out)
    assert copy_path.read_bytes() == edited
    student_copies(src, out, force=True)
    assert b"n_params = 2528" not in copy_path.read_bytes()


def test_student_copy_refuses_links_onto_the_chapters(tmp_path):
    src = tmp_path / "chapters"
    src.mkdir()
    chapter = src / "01_test.ipynb"
    nbformat.write(synthetic_notebook(), chapter)
    before = chapter.read_bytes()
    hard, soft = tmp_path / "hard", tmp_path / "soft"
    hard.mkdir()
    soft.mkdir()
    (hard / "01_test.ipynb").hardlink_to(chapter)
    (soft / "01_test.ipynb").symlink_to(chapter)
    with pytest.raises(CourseError, match="outside the chapters' folder"):
        student_copies(src, src / "student")
    (tmp_path / "linked").symlink_to(src)
    with pytest.raises(CourseError, match="outside the chapters' folder"):
        student_copies(src, tmp_path / "linked")
    from booktools.files import SameFileError

    with pytest.raises(SameFileError, match="hard link"):
        student_copies(src, hard, force=True)
    with pytest.raises(SameFileError, match="symbolic link"):
        student_copies(src, soft, force=True)
    assert chapter.read_bytes() == before and not (src / "student").exists()


@pytest.mark.slow  # runs a notebook in a Jupyter kernel
def test_roundtrip_on_synthetic_notebook(tmp_path):
    nb = synthetic_notebook()
    # a wrong check must be caught: one that passes on the stub, and one that fails on the solution
    assert run_roundtrip(nb, "synthetic.ipynb", tmp_path) == []
    broken = copy.deepcopy(nb)
    exercises = find_exercises(broken)
    broken.cells[exercises[0].check].source = "print('Correct: nothing checked')"
    broken.cells[exercises[1].check].source = "check_value('kernel', kernel, 5)"
    broken.cells[exercises[2].test].source = f"{BEGIN_HIDDEN}\npass\n{END_HIDDEN}"
    problems = _execute_roundtrip(broken, "broken.ipynb", tmp_path, only_needed=True)
    assert len(problems) == 3, problems
    assert "passed on the stub" in problems[0] and "fails on the solution" in problems[1]
    assert "hidden test passed on the stub" in problems[2]


def test_only_the_cells_the_exercises_need_are_run():
    md = nbformat.v4.new_markdown_cell
    cells = [
        md("# Slice"),
        _code("import os\nfrom ghostedu.exercises import check_value"),
        _code("base = 10"),
        _code("unused = 1\nprint(unused)"),
        _code("base += 1  # changes base: needed"),
        _code("os.environ['NOT_NEEDED'] = '1'"),
        _code("def helper(x):\n    return x\n\nhelper(unused)"),
        *_exercise("slice", "answer = base * 2", "check_value('answer', answer, 22)", "assert answer == 22"),
        _code("print('after the last exercise: never run')"),
    ]
    run, n = roundtrip_notebook(nbformat.v4.new_notebook(cells=cells), "slice.ipynb")
    assert n == 1
    assert [c.source for c in run.cells if c.metadata["roundtrip"]["role"] == "cell"] == [
        "import os\nfrom ghostedu.exercises import check_value",
        "base = 10",
        "base += 1  # changes base: needed",
    ]
    assert [c.metadata["roundtrip"]["role"] for c in run.cells][-6:] == [
        "stub",
        "check-stub",
        "test-stub",
        "solution",
        "check-solution",
        "test-solution",
    ]


@pytest.mark.parametrize(
    "source, message",
    [
        ("# BEGIN SOLUTION\nx = 1", "never closed"),
        ("x = 1\n# END SOLUTION", "without a `# BEGIN SOLUTION`"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION", "inside the region"),
        ("if True:\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION", "beginning of the line"),
        ("# BEGIN SOLUTION\nprint(1)\n# END SOLUTION", "only top-level assignments"),
        ("# BEGIN SOLUTION\nimport math\n# END SOLUTION", "only top-level assignments"),
        ("# BEGIN SOLUTION\nmodel.fc = None\n# END SOLUTION", "plain names only"),
        ("# BEGIN SOLUTION\nx = (1,\n# END SOLUTION", "does not parse"),
        ("# BEGIN SOLUTION\n# END SOLUTION", "empty"),
        ("x = 1", "no `# BEGIN SOLUTION`"),
    ],
)
def test_malformed_region_is_a_clear_error(source, message):
    with pytest.raises(SolutionRegionError, match=re.escape(message)) as err:
        stub_cell_source(source, "ch.ipynb, cell 4")
    assert str(err.value).startswith("ch.ipynb, cell 4")


def test_code_outside_the_region_is_kept():
    source = "import math\n\n# BEGIN SOLUTION\nn = 3\n# END SOLUTION\nprint(n)"
    assert stub_cell_source(source) == (
        f"import math\n\n{student.REGION_START}\nn = None  # YOUR CODE HERE\n{student.REGION_END}\nprint(n)"
    )


def test_marker_in_an_untagged_cell_is_an_error(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION")])
    (tmp_path / "chapters").mkdir()
    nbformat.write(nb, tmp_path / "chapters" / "a.ipynb")
    with pytest.raises(CourseError, match="not tagged 'solution'"):
        student_copies(tmp_path / "chapters", tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_setup_cell_is_first_and_idempotent():
    nb = synthetic_notebook()
    assert nb.cells[0].metadata["tags"] == [SETUP_TAG, "remove-cell"]
    assert "%pip install -q ghostedu@git+https://example.org/ghostedu/ghostedu@main" in nb.cells[0].source
    n = len(nb.cells)
    assert add_setup_cell(nb, "https://example.org/ghostedu/ghostedu") is False
    assert add_setup_cell(nb, "https://example.org/other/repo", "dev") is True
    assert len(nb.cells) == n and "git+https://example.org/other/repo@dev" in nb.cells[0].source
    with pytest.raises(ValueError, match="https://"):
        add_setup_cell(nb, "github.com/x/y")


@pytest.mark.slow  # runs nbgrader
def test_command_line(tmp_path, capsys):
    from booktools.__main__ import main

    help_text = subprocess.run(
        [sys.executable, "-m", "booktools", "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "student" in help_text and "BEGIN SOLUTION" in help_text and "course" in help_text
    src = tmp_path / "chapters"
    src.mkdir()
    nbformat.write(synthetic_notebook(), src / "01_test.ipynb")
    assert main(["student", str(src), "-o", str(tmp_path / "student")]) == 0
    assert "Wrote 1 student notebooks" in capsys.readouterr().out
    bad = tmp_path / "bad"
    bad.mkdir()
    nb = synthetic_notebook()
    nb.cells[find_exercises(nb)[0].solutions[0]].source = "# BEGIN SOLUTION\nx = 1"
    nbformat.write(nb, bad / "b.ipynb")
    assert main(["student", str(bad), "-o", str(tmp_path / "s2")]) == 1
    err = capsys.readouterr().err
    assert "never closed" in err and "b.ipynb, cell" in err
    assert not (tmp_path / "s2").exists()


# ---------------------------------------------------------------------------------------------------
# The real chapters


def _chapter_notebooks() -> list[Path]:
    return [p for p in sorted(CHAPTERS.glob("*.ipynb")) if find_exercises(nbformat.read(p, as_version=4), p.name)]


CHAPTER_NOTEBOOKS = _chapter_notebooks()


@pytest.mark.slow  # runs the chapter's notebook in a Jupyter kernel
class _ChapterRoundTrip:
    notebook: Path

    def test_each_check_fails_on_the_stub_and_passes_on_the_solution(self):
        original = nbformat.read(self.notebook, as_version=4)
        problems = run_roundtrip(original, f"chapters/{self.notebook.name}", CHAPTERS)
        assert not problems, "\n".join(problems)


for _path in CHAPTER_NOTEBOOKS:
    _name = "TestStudentCopy_" + re.sub(r"\W", "_", _path.stem)
    globals()[_name] = type(_name, (_ChapterRoundTrip,), {"notebook": _path})


def test_the_chapters_have_exercises_to_round_trip():
    # The round-trip classes above are made from this list: an empty one would test nothing.
    assert CHAPTER_NOTEBOOKS, f"no notebook in {CHAPTERS} has a cell tagged {SOLUTION_TAG!r}"


def test_setup_cell_command(tmp_path, capsys):
    from booktools.__main__ import main

    chapters = tmp_path / "chapters"
    chapters.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T")]), chapters / "a.ipynb")
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://example.org/o/r\n  branch: dev\n")
    assert main(["setup-cell", str(chapters)]) == 0
    first = nbformat.read(chapters / "a.ipynb", as_version=4).cells[0]
    assert SETUP_TAG in first.metadata["tags"] and "git+https://example.org/o/r@dev" in first.source
    assert main(["setup-cell", str(chapters)]) == 0
    assert "already starts with the current setup cell" in capsys.readouterr().out
    (tmp_path / "_config.yml").write_text("title: no repository\n")
    assert main(["setup-cell", str(chapters)]) == 1
    assert "repository.url" in capsys.readouterr().err


@pytest.mark.slow  # runs a notebook in a Jupyter kernel
def test_timings_of_a_small_notebook(tmp_path):
    from booktools.timings import read_timings, time_notebooks, write_timings

    quick = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# A `quick` one"), nbformat.v4.new_code_cell("x = 1 + 1")]
    )
    skipped = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("raise SystemExit('not run')")], metadata={"ghostedu": {"timings": False}}
    )
    nbformat.write(quick, tmp_path / "01_quick.ipynb")
    nbformat.write(skipped, tmp_path / "99_skipped.ipynb")
    result = time_notebooks(sorted(tmp_path.glob("*.ipynb")))
    assert [row["file"] for row in result["notebooks"]] == ["01_quick.ipynb"]
    row = result["notebooks"][0]
    assert row["title"] == "A `quick` one" and row["code_cells"] == 1 and row["seconds"] > 0
    assert result["threads"] >= 1 and result["machine"].startswith("CPU: ")
    write_timings(result, tmp_path / "timings.json")
    assert read_timings(tmp_path / "timings.json") == result


@pytest.mark.slow  # runs a notebook in a Jupyter kernel
def test_timings_command_refreshes_the_timing_page(tmp_path, capsys):
    from booktools.__main__ import main

    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), tmp_path / "01_a.ipynb")
    page = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import json\nprint(len(json.load(open('timings.json'))['notebooks']))")],
        metadata={"ghostedu": {"timings": False}},
    )
    nbformat.write(page, tmp_path / "99_page.ipynb")
    assert main(["timings", str(tmp_path), "-o", str(tmp_path / "timings.json")]) == 0
    assert "Re-executed" in capsys.readouterr().out
    outputs = nbformat.read(tmp_path / "99_page.ipynb", as_version=4).cells[0].outputs
    assert outputs[0]["text"] == "1\n"
