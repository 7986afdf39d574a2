"""Student copies and a class's grading, with nbgrader: the commands behind ``make student``,
``make release``, ``make collect``, ``make autograde``, ``make feedback`` and ``make gradebook``.

Each chapter is one nbgrader assignment whose source is the chapter notebook itself. A course
folder (``course/`` by default; nbgrader's layout) holds everything a class produces::

    course/nbgrader_config.py       the settings: booktools.grading.configure (written once)
    course/source/<chapter>/        the chapter, copied from chapters/ at each release
    course/release/<chapter>/       the student copy to hand out
    course/submitted/<student>/<chapter>/<chapter>.ipynb    what was collected
    course/autograded/...  course/feedback/...  course/gradebook.db

Every step runs a plain ``nbgrader`` command in the course folder (printed before it runs), so a
teacher can run the same commands, or any other of nbgrader's, by hand. The venv's ``bin`` is put
first on ``PATH`` (nbgrader runs ``alembic`` from there) and the repository on ``PYTHONPATH``.

:func:`student_copies` writes the student copies of all chapters into one flat folder (for self-study
or to hand out without a course folder). It refuses, before writing anything, an output that is or
links to a chapter, and it never overwrites a copy a student has changed unless ``force`` is given:
it keeps the hash of each file it wrote in ``.ghostedu-student.json`` beside them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .exercise_cells import BEGIN_HIDDEN, apply_metadata, find_exercises
from .files import atomic_write, read_notebooks, refuse_same_file, write_all
from .student import stub_cell_source

__all__ = [
    "CourseError",
    "REPO",
    "MANIFEST",
    "nbgrader_env",
    "run_nbgrader",
    "ensure_course",
    "stage_sources",
    "student_copies",
    "release",
    "collect",
    "autograde",
    "grading_report",
    "feedback",
    "gradebook",
]

REPO = Path(__file__).resolve().parents[1]
MANIFEST = ".ghostedu-student.json"
DEFAULT_CELL_TIMEOUT = 300
DEFAULT_NOTEBOOK_TIMEOUT = 600

CONFIG_TEMPLATE = '''\
"""nbgrader's settings for this course, written by `python -m booktools course`.

The book's extensions to nbgrader (student stubs, glued values, the record of edited locked cells,
the time limit per notebook, feedback without hidden tests, the gradebook per exercise) are in
booktools/grading.py of the book's repository, found at the path below. Settings written after
`configure(c, ...)` override its choices, e.g.

    c.ExecuteWithDeadline.notebook_timeout = 900   # seconds for one notebook (default 600)
    c.Exchange.root = "/srv/nbgrader/exchange"     # JupyterHub's exchange folder
"""

import os
import sys

sys.path.insert(0, {repo!r})

from booktools.grading import configure  # noqa: E402

c = get_config()  # noqa: F821
configure(c, root=os.path.dirname(os.path.abspath(__file__)))
'''


class CourseError(RuntimeError):
    """A classroom command that cannot go on; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------------
# Running nbgrader


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader: the venv's bin first on PATH (nbgrader runs alembic from
    there), the repository on PYTHONPATH (for booktools), one thread per process unless set."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run_nbgrader(args: list[str], course: Path, quiet: bool = False) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course`` (printing the command first); :class:`CourseError` if it fails.

    With ``quiet`` nbgrader's log is captured and shown only on failure."""
    print(f"$ (cd {course} && nbgrader {' '.join(args)})", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=nbgrader_env(), text=True, capture_output=quiet
    )
    if result.returncode != 0:
        log = f"\n{result.stdout}{result.stderr}" if quiet else ""
        raise CourseError(f"`nbgrader {' '.join(args)}` failed (exit status {result.returncode}).{log}")
    return result


def ensure_course(course: str | Path) -> Path:
    """Create the course folder and its ``nbgrader_config.py`` if missing; returns the folder."""
    course = Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)
    config = course / "nbgrader_config.py"
    if not config.exists():
        atomic_write(config, CONFIG_TEMPLATE.format(repo=str(REPO)))
    elif "booktools.grading" not in config.read_text(encoding="utf-8"):
        print(f"note: {config} does not call booktools.grading.configure; the book's settings are not used.")
    return course


# ---------------------------------------------------------------------------------------------------
# The chapters as nbgrader's source


def _chapters(chapters: str | Path, names: list[str] | None = None) -> list[Path]:
    folder = Path(chapters)
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder of notebooks.")
    notebooks = sorted(folder.glob("*.ipynb"))
    if names:
        wanted = {Path(n).stem for n in names}
        missing = sorted(wanted - {p.stem for p in notebooks})
        if missing:
            raise CourseError(f"no chapter {missing} in {folder}; the chapters are {[p.stem for p in notebooks]}.")
        notebooks = [p for p in notebooks if p.stem in wanted]
    if not notebooks:
        raise CourseError(f"no notebooks (*.ipynb) in {folder}.")
    return notebooks


def _check_chapters(notebooks: list[Path]) -> None:
    """Every notebook parses (:func:`booktools.files.read_notebooks` names each bad one), and its
    exercises' metadata is current and its solutions can be stubbed (CourseError naming it otherwise)."""
    for path, nb in read_notebooks(notebooks):
        try:
            stale = apply_metadata(nb, str(path))
            for ex in find_exercises(nb, str(path)):  # a region the stubs cannot replace, named before nbgrader runs
                for index in ex.solutions:
                    stub_cell_source(nb.cells[index].source, f"{path}, cell {index}")
        except ValueError as error:
            raise CourseError(str(error)) from None
        if stale:
            raise CourseError(
                f"{path}: the exercises' nbgrader metadata is not current; run `python -m booktools exercises "
                f"{path.parent}` (then re-execute the notebook)."
            )


def _extra_files(notebook: Path) -> list[Path]:
    """The plain files beside ``notebook`` that it names (data it reads, such as timings.json)."""
    text = notebook.read_text(encoding="utf-8")
    return [
        p
        for p in sorted(notebook.parent.iterdir())
        if p.is_file() and p.suffix != ".ipynb" and not p.name.startswith(".") and p.name in text
    ]


def stage_sources(notebooks: list[Path], course: Path) -> None:
    """Copy each chapter (and the files it reads) to ``course/source/<chapter>/``, atomically, only
    where the bytes differ (so that nbgrader sees an unchanged chapter as unchanged)."""
    for notebook in notebooks:
        folder = course / "source" / notebook.stem
        pairs = [(notebook, folder / notebook.name)] + [
            (extra, folder / extra.name) for extra in _extra_files(notebook)
        ]
        refuse_same_file([target for _, target in pairs], [source for source, _ in pairs])
    for notebook in notebooks:
        folder = course / "source" / notebook.stem
        folder.mkdir(parents=True, exist_ok=True)
        for source in [notebook, *_extra_files(notebook)]:
            target = folder / source.name
            data = source.read_bytes()
            if not target.exists() or target.read_bytes() != data:
                atomic_write(target, data)


# ---------------------------------------------------------------------------------------------------
# Student copies in one folder


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_student_copy(path: Path, nb: nbformat.NotebookNode) -> None:
    for index, cell in enumerate(nb.cells):
        where = f"{path.name}, cell {index}"
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            raise CourseError(f"{where}: the student copy kept an output.")
        for marker in ("BEGIN SOLUTION", BEGIN_HIDDEN, "{glue:text}", "{solution-start}"):
            if marker in cell.source:
                raise CourseError(f"{where}: the student copy still holds `{marker}`.")


def student_copies(chapters: str | Path, output: str | Path, force: bool = False, quiet: bool = True) -> list[Path]:
    """Write the student copy of every notebook of ``chapters`` to ``output`` (flat, one file per
    chapter, plus the files a chapter reads); returns the files written.

    The copies are made by ``nbgrader generate_assignment`` (without a gradebook) in a temporary
    course folder beside ``output``, checked (no solution, hidden test, glue role or output left),
    and then each file is moved into ``output`` atomically. Refused before anything is written: an
    output that is, or is inside, the chapters' folder; an output file that is a chapter under
    another name (a symbolic or hard link: :func:`booktools.files.refuse_same_file`); a file that
    differs from what this command last wrote there (a student's work) unless ``force``.
    """
    notebooks = _chapters(chapters)
    _check_chapters(notebooks)
    chapters, output = Path(chapters).resolve(), Path(output)
    out = output.resolve()
    if out == chapters or chapters in out.parents:
        raise CourseError(f"the student copy must go outside the chapters' folder ({chapters}), not to {output}.")
    extras = sorted({extra for notebook in notebooks for extra in _extra_files(notebook)})
    names = [p.name for p in notebooks + extras]
    refuse_same_file([output / name for name in names], [chapters])
    manifest_path = output / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    edited = [
        name
        for name in names
        if (output / name).exists() and manifest.get(name) != _sha256((output / name).read_bytes())
    ]
    if edited and not force:
        raise CourseError(
            f"{len(edited)} file(s) in {output} differ from the student copy last written there (a student's work?): "
            f"{', '.join(edited)}. Nothing was written. Move them away, or pass --force to overwrite them."
        )
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".student-build-") as temp:
        course = ensure_course(temp)
        stage_sources(notebooks, course)
        run_nbgrader(["generate_assignment", "*", "--no-db", "--force"], course, quiet=quiet)
        built = {}
        for notebook in notebooks:
            release = course / "release" / notebook.stem / notebook.name
            if not release.exists():
                raise CourseError(f"nbgrader wrote no student copy of {notebook.name}.")
            _check_student_copy(release, nbformat.read(release, as_version=4))
            built[notebook.name] = release.read_bytes()
        for extra in extras:
            built[extra.name] = extra.read_bytes()
        manifest.update({name: _sha256(data) for name, data in built.items()})
        written = write_all({output / name: data for name, data in built.items()})
        atomic_write(manifest_path, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return written


# ---------------------------------------------------------------------------------------------------
# A class


def release(
    chapters: str | Path,
    course: str | Path,
    names: list[str] | None = None,
    exchange: bool = False,
    force: bool = False,
) -> list[Path]:
    """Make the student copy of each chapter (all by default) in ``course/release/<chapter>/`` with
    ``nbgrader generate_assignment``, recording its locked cells in the gradebook; with ``exchange``
    also ``nbgrader release_assignment`` (JupyterHub's exchange). Returns the release folders."""
    notebooks = _chapters(chapters, names)
    _check_chapters(notebooks)
    course = ensure_course(course)
    stage_sources(notebooks, course)
    folders = []
    for notebook in notebooks:
        run_nbgrader(["generate_assignment", notebook.stem, *(["--force"] if force else [])], course)
        folder = course / "release" / notebook.stem
        _check_student_copy(folder / notebook.name, nbformat.read(folder / notebook.name, as_version=4))
        if exchange:
            run_nbgrader(["release_assignment", notebook.stem], course)
        folders.append(folder)
    return folders


def collect(course: str | Path, chapter: str, folder: str | Path | None = None, force: bool = False) -> None:
    """Put the submissions of ``chapter`` into ``course/submitted/<student>/<chapter>/``.

    ``folder``: a folder of submitted notebooks, ``<student>/<chapter>.ipynb`` or
    ``<student>_<chapter>.ipynb`` (zip files of them too), handed to ``nbgrader zip_collect``.
    Without it, ``nbgrader collect`` takes them from JupyterHub's exchange."""
    course = ensure_course(course)
    if folder is None:
        run_nbgrader(["collect", chapter, *(["--update"] if force else [])], course)
        return
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder of submitted notebooks.")
    archive = course / "downloaded" / chapter / "archive"
    if archive.exists():
        if not force:
            raise CourseError(f"{archive} already holds a collection; pass --force to replace it.")
        shutil.rmtree(archive)
    shutil.copytree(folder, archive)
    run_nbgrader(["zip_collect", chapter, *(["--force"] if force else [])], course)


@dataclass
class GradedSubmission:
    """One student's grade for one chapter, and the locked cells they changed (put back before grading)."""

    student: str
    score: float
    max_score: float
    edited: list[str]


def grading_report(course: str | Path, chapter: str) -> list[GradedSubmission]:
    """The graded submissions of ``chapter``, from the gradebook and the graded notebooks."""
    from nbgrader.api import Gradebook

    from .grading import edited_cells

    course = Path(course).resolve()
    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.find_assignment(chapter).submissions:
            student = submission.student.id
            folder = course / "autograded" / student / chapter
            edited = [e for nb in sorted(folder.glob("*.ipynb")) for e in edited_cells(nb)]
            rows.append(GradedSubmission(student, submission.score, submission.max_score, edited))
    return sorted(rows, key=lambda row: row.student)


def autograde(
    course: str | Path,
    chapter: str,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT,
    force: bool = False,
    quiet: bool = False,
) -> list[GradedSubmission]:
    """Grade every collected submission of ``chapter`` (``nbgrader autograde``), each notebook within
    ``notebook_timeout`` seconds and each cell within ``cell_timeout``; prints and returns the
    scores, naming every submission whose locked cells were edited."""
    for label, value in (("cell_timeout", cell_timeout), ("notebook_timeout", notebook_timeout)):
        if not isinstance(value, int) or value <= 0:
            raise CourseError(f"{label} must be a positive number of seconds, got {value!r}.")
    course = ensure_course(course)
    run_nbgrader(
        [
            "autograde",
            chapter,
            f"--ExecuteWithDeadline.timeout={cell_timeout}",
            f"--ExecuteWithDeadline.notebook_timeout={notebook_timeout}",
            *(["--force"] if force else []),
        ],
        course,
        quiet=quiet,
    )
    rows = grading_report(course, chapter)
    print(f"{chapter}: {len(rows)} submission(s) graded")
    for row in rows:
        print(f"  {row.student:20} {row.score:g} / {row.max_score:g}")
    tampered = [row for row in rows if row.edited]
    for row in tampered:
        print(
            f"EDITED LOCKED CELLS: {row.student} changed {', '.join(row.edited)}; the cells were put back as "
            "released before grading. Look at the submission."
        )
    if not tampered:
        print("No submission changed a locked cell.")
    return rows


def feedback(course: str | Path, chapter: str, exchange: bool = False, force: bool = False) -> list[Path]:
    """Write each student's feedback for ``chapter`` (``nbgrader generate_feedback``: HTML with the
    score and the visible checks' messages, without the hidden tests); with ``exchange`` also
    ``nbgrader release_feedback``. Returns the feedback files."""
    course = ensure_course(course)
    run_nbgrader(["generate_feedback", chapter, *(["--force"] if force else [])], course)
    if exchange:
        run_nbgrader(["release_feedback", chapter], course)
    return sorted(course.glob(f"feedback/*/{chapter}/*.html"))


def gradebook(course: str | Path, output: str | Path) -> Path:
    """Export the gradebook as CSV, one row per student and exercise (``nbgrader export``)."""
    course = ensure_course(course)
    output = Path(output).resolve()
    run_nbgrader(["export", f"--to={output}"], course)
    return output
