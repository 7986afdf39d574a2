"""The book's command line: ``python -m booktools <command> ...``, run from the repository root.

Commands:

* ``student CHAPTERS -o OUT`` -- write the student copy of every notebook with nbgrader (solutions
  stubbed, hidden tests and outputs removed); see :mod:`booktools.course`.
* ``course release|collect|autograde|feedback|gradebook`` -- a class's assignments and grades with
  nbgrader, one command each; see :mod:`booktools.course`.
* ``exercises CHAPTERS`` -- (authors) write the nbgrader metadata of every exercise's cells; see
  :mod:`booktools.exercise_cells`.
* ``timings CHAPTERS -o chapters/timings.json`` -- run every notebook and record how long it took, with
  the machine that ran it; see :mod:`booktools.timings`.
* ``setup-cell CHAPTERS`` -- put the cell that installs ghostedu on Colab first in every notebook
  (for authors; re-execute the notebooks afterwards); see :mod:`booktools.setup_cell`.

Every command that writes checks all its inputs first and writes through :mod:`booktools.files`
(atomically; never over an input): on an error it names the file, changes nothing and exits with 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DESCRIPTION = """\
Tools for building and teaching with the ghostedu book (they stand beside the ghostedu package).

  student     write the student copy of the chapter notebooks (nbgrader generate_assignment):
              in every code cell tagged 'solution', each '# BEGIN SOLUTION' ... '# END
              SOLUTION' region becomes a stub (answers set to None, functions that raise
              NotImplementedError), hidden tests, folded solutions and outputs go, glued
              values are written into the text. Each exercise's check cell then tells the
              student whether the answer is right, and what is wrong if not. A copy a
              student has changed is never overwritten without --force.
  course      a class with nbgrader, in a course folder (default course/): release,
              collect, autograde, feedback, gradebook (see "For teachers").
  exercises   (authors) write the nbgrader metadata of every exercise's cells (answer,
              locked check, hidden test and its points), from the exercises' labels.
  timings     execute every notebook and write how long each took (wall seconds), with the
              CPU model and thread count, to a JSON file that the book's timing page reads.
  setup-cell  (authors) put first in every notebook a cell that installs ghostedu from the
              repository in _config.yml when it is not importable, e.g. on Colab.

Examples:
  python -m booktools student chapters -o student
  python -m booktools course release 04_depthwise
  python -m booktools course collect 04_depthwise submissions/
  python -m booktools course autograde 04_depthwise
  python -m booktools course feedback 04_depthwise
  python -m booktools course gradebook -o grades.csv
  python -m booktools exercises chapters
  python -m booktools timings chapters -o chapters/timings.json
  python -m booktools setup-cell chapters
"""


def _fail(command: str, error: Exception) -> int:
    """Print a command's error (it names the file) and return the exit status 1."""
    print(f"booktools {command}: {error}", file=sys.stderr)
    return 1


def _student(args: argparse.Namespace) -> int:
    from .course import CourseError, student_copies

    try:
        written = student_copies(args.chapters, args.output, force=args.force)
    except (CourseError, OSError, ValueError) as err:
        return _fail("student", err)
    notebooks = [p for p in written if p.suffix == ".ipynb"]
    print(
        f"Wrote {len(notebooks)} student notebooks to {args.output}/ (solutions replaced by stubs, hidden tests "
        "and outputs removed)."
    )
    return 0


def _course(args: argparse.Namespace) -> int:
    from . import course

    try:
        if args.step == "release":
            for folder in course.release(args.chapters, args.course, args.chapter, args.exchange, args.force):
                print(f"Student copy: {folder}/")
        elif args.step == "collect":
            course.collect(args.course, args.chapter, args.folder, args.force)
        elif args.step == "autograde":
            course.autograde(args.course, args.chapter, args.cell_timeout, args.timeout, args.force)
        elif args.step == "feedback":
            for path in course.feedback(args.course, args.chapter, args.exchange, args.force):
                print(f"Feedback: {path}")
        elif args.step == "gradebook":
            print(f"Gradebook: {course.gradebook(args.course, args.output)}")
    except (course.CourseError, OSError, ValueError) as err:
        return _fail(f"course {args.step}", err)
    return 0


def _exercises(args: argparse.Namespace) -> int:
    from .exercise_cells import apply_to_folder

    try:
        changed = apply_to_folder(args.chapters, check_only=args.check)
    except (OSError, ValueError) as err:
        return _fail("exercises", err)
    for path in changed:
        print(f"{'out of date' if args.check else 'updated'}: {path}")
    if args.check and changed:
        print("Run `python -m booktools exercises CHAPTERS` to update them.", file=sys.stderr)
        return 1
    if not changed:
        print("Every exercise's nbgrader metadata is current.")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {value}")
    return value


def _timings(args: argparse.Namespace) -> int:
    from .files import InputError, WriteError, check_writable, notebooks_in, read_notebooks, refuse_same_file
    from .timings import NotebookFailed, check_timings_file, refresh_timing_pages, time_notebooks, write_timings

    try:
        # All checked before the first notebook runs, so that no run is wasted and nothing is lost.
        notebooks = notebooks_in(args.chapters)
        read_notebooks(notebooks)
        output = check_writable(args.output)
        refuse_same_file(output, notebooks)
        check_timings_file(output)
    except InputError as err:
        return _fail("timings", err)
    result = time_notebooks(notebooks, timeout=args.timeout, progress=print, total_timeout=args.total_timeout)
    try:
        write_timings(result, output)
    except WriteError as err:
        print(json.dumps(result, indent=2), file=sys.stderr)  # the measurements, not lost
        return _fail("timings", f"{err}; the timings are printed above")
    print(
        f"Wrote {output}: {len(result['notebooks'])} notebooks, "
        f"{result['total_seconds']:.1f} s in all, on {result['machine']}."
    )
    failed = result.get("failed", [])
    if failed:
        for row in failed:
            print(f"booktools timings: {row['file']}: {row['error']}", file=sys.stderr)
        print(
            f"booktools timings: {len(failed)} of {len(failed) + len(result['notebooks'])} notebooks did not "
            f'run to their end (recorded under "failed" in {output}); the timing page was not refreshed.',
            file=sys.stderr,
        )
        return 1
    # The timing page reads timings.json from its own folder: refresh it when that is the file written.
    if not args.no_refresh and output.resolve() == (Path(args.chapters) / "timings.json").resolve():
        try:
            for path in refresh_timing_pages(notebooks, timeout=args.timeout):
                print(f"Re-executed {path}, which shows the timings.")
        except (NotebookFailed, InputError, WriteError) as err:
            return _fail("timings", err)
    return 0


def _setup_cell(args: argparse.Namespace) -> int:
    from .files import InputError, WriteError
    from .setup_cell import add_setup_cells, check_repository, read_repository

    chapters = Path(args.chapters)
    try:
        if args.repo_url:
            url, branch = check_repository(args.repo_url, args.branch)
        else:
            config = Path(args.config) if args.config else chapters.resolve().parent / "_config.yml"
            url, branch = read_repository(config)
        changed = add_setup_cells(chapters, url, branch, progress=print)
    except (InputError, WriteError) as err:
        return _fail("setup-cell", err)
    if changed:
        print(f"{len(changed)} notebooks changed; re-execute them (make execute) so their outputs are current.")
    else:
        print("Every notebook already starts with the current setup cell.")
    return 0


def _seconds(text: str) -> int:
    """An argparse type: a whole number of seconds >= 1 (0 would mean "no limit" to nbclient)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of seconds >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m booktools", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    student = commands.add_parser(
        "student",
        help="write the student copy of the notebooks",
        description="Write the student copy of every notebook in CHAPTERS to OUTPUT: solution regions "
        "replaced by stubs, outputs cleared, everything else unchanged. Other plain files in "
        "CHAPTERS are copied as they are. Refused, before anything is written, when a notebook "
        "does not parse or a file to write is a chapter itself (a link or hard link to it).",
    )
    student.add_argument("chapters", help="folder of the chapter notebooks (e.g. chapters)")
    student.add_argument("-o", "--output", required=True, help="folder to write the copies to (e.g. student)")
    student.add_argument(
        "--force", action="store_true", help="overwrite copies that differ from what this command last wrote"
    )
    student.set_defaults(run=_student)

    course = commands.add_parser(
        "course",
        help="a class with nbgrader: release, collect, autograde, feedback, gradebook",
        description="One nbgrader assignment per chapter, in a course folder (nbgrader's layout). Each step "
        "prints the nbgrader command it runs.",
    )
    course.add_argument("--course", default="course", help="the course folder (default: course)")
    course.add_argument("--chapters", default="chapters", help="the chapters' folder (default: chapters)")
    steps = course.add_subparsers(dest="step", required=True, metavar="STEP")
    step = steps.add_parser("release", help="make the student copy of chapters in COURSE/release/")
    step.add_argument("chapter", nargs="*", help="chapters to release (e.g. 04_depthwise; default: all)")
    step.add_argument("--exchange", action="store_true", help="also release to JupyterHub's exchange")
    step.add_argument("--force", action="store_true", help="regenerate releases that exist")
    step = steps.add_parser("collect", help="collect the submissions of a chapter")
    step.add_argument("chapter")
    step.add_argument(
        "folder",
        nargs="?",
        help="a folder of submitted notebooks, <student>/<chapter>.ipynb or <student>_<chapter>.ipynb "
        "(default: JupyterHub's exchange)",
    )
    step.add_argument("--force", action="store_true", help="replace an earlier collection")
    step = steps.add_parser("autograde", help="grade the collected submissions of a chapter")
    step.add_argument("chapter")
    step.add_argument("--timeout", type=_positive, default=600, help="seconds allowed for one notebook (default 600)")
    step.add_argument("--cell-timeout", type=_positive, default=300, help="seconds allowed for one cell (default 300)")
    step.add_argument("--force", action="store_true", help="grade again submissions already graded")
    step = steps.add_parser("feedback", help="write each student's feedback (HTML, without hidden tests)")
    step.add_argument("chapter")
    step.add_argument("--exchange", action="store_true", help="also return it through JupyterHub's exchange")
    step.add_argument("--force", action="store_true", help="write feedback that exists again")
    step = steps.add_parser("gradebook", help="export the gradebook as CSV, one row per student and exercise")
    step.add_argument("-o", "--output", default="grades.csv", help="CSV file to write (default grades.csv)")
    course.set_defaults(run=_course)

    exercises = commands.add_parser(
        "exercises",
        help="(authors) write the nbgrader metadata of the exercises' cells",
        description="Give every exercise's cells in CHAPTERS their nbgrader metadata: the solution cells are "
        "answer cells, the check cell is locked, the hidden-test cell is a locked graded test worth the "
        "points its first line states (default 1), tagged remove-cell. Grade ids come from the labels.",
    )
    exercises.add_argument("chapters", help="folder of the chapter notebooks")
    exercises.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    exercises.set_defaults(run=_exercises)

    timings = commands.add_parser(
        "timings",
        help="run every notebook and record how long it took",
        description="Execute every notebook in CHAPTERS (in a fresh kernel, from its own folder) and write "
        "the wall time of each, with the machine's CPU model and thread count, to OUTPUT (JSON). "
        "A notebook whose metadata sets ghostedu.timings to false (the page that shows the "
        "timings) is not timed; it is re-executed afterwards so that it shows the new file. "
        "Every notebook is checked before the first one runs. A notebook that fails (an error, a "
        'cell past --timeout, the run past --total-timeout) is named and recorded under "failed" '
        "with the reason, the others' timings are kept, and the exit status is 1. OUTPUT is "
        "written atomically and must not be a notebook or a file other than a timings file.",
    )
    timings.add_argument("chapters", help="folder of the chapter notebooks")
    timings.add_argument("-o", "--output", required=True, help="JSON file to write (e.g. chapters/timings.json)")
    timings.add_argument(
        "--timeout", type=_seconds, default=600, help="seconds a cell may run, a whole number >= 1 (default 600)"
    )
    timings.add_argument(
        "--total-timeout",
        type=_seconds,
        default=3600,
        help="seconds the whole run may take, a whole number >= 1 (default 3600); notebooks not "
        "finished by then are recorded as failed",
    )
    timings.add_argument(
        "--no-refresh",
        action="store_true",
        help="do not re-execute the notebook that shows the timings (by default it is "
        "re-executed in place, so that its stored outputs match the new file)",
    )
    timings.set_defaults(run=_timings)

    setup = commands.add_parser(
        "setup-cell",
        help="(authors) add the cell that installs ghostedu on Colab",
        description="Put first in every notebook of CHAPTERS a code cell tagged 'setup' that installs "
        "ghostedu from the repository named in _config.yml when it cannot be imported "
        "(as on Colab) and does nothing otherwise. An existing setup cell is updated. Every "
        "notebook is read and checked first, and all are written together (atomically): on any "
        "error no notebook changes.",
    )
    setup.add_argument("chapters", help="folder of the chapter notebooks")
    setup.add_argument("--config", help="the book's _config.yml (default: beside CHAPTERS)")
    setup.add_argument("--repo-url", help="repository URL to use instead of _config.yml's repository.url")
    setup.add_argument("--branch", default="main", help="branch to install from with --repo-url (default main)")
    setup.set_defaults(run=_setup_cell)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m booktools``; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
