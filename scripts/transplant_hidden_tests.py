"""Copy the exercises' hidden tests (and what moved into their folded solutions) from another version
of the chapters, by exercise label -- for authors combining two versions of the same notebooks.

    python scripts/transplant_hidden_tests.py --ref REF chapters/*.ipynb
    python -m booktools exercises chapters      # then the nbgrader metadata
    make execute                                # and the outputs

For each notebook, the version at git ref ``REF`` (e.g. a branch) is read; for each exercise of the
working notebook whose label is also in that version:

* the hidden-test cell right after the check cell gets that version's source (inserted if missing);
* a markdown cell that the other version keeps inside the folded solution (found by its cell id)
  but the working notebook has after the check cell is moved into the fold, text kept as it is;
* the exercise's task text gets the sentence changes listed in ``TEXT`` (the tolerance a decimal
  answer is compared with), where the old sentence is still there; otherwise the script says so.

The working notebooks' other cells, outputs included, are left as they are. Idempotent. Run it
from inside the repository (it reads ``REF:chapters/<name>``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from booktools.exercise_cells import BEGIN_HIDDEN, HIDDEN_TEST_TAG, find_exercises  # noqa: E402
from booktools.files import write_notebook  # noqa: E402

# label -> (old, new) in the exercise's task text
TEXT = {
    "ex-kernel-size-span": (
        "on a signal sampled at `ghostedu.data.FS` (12 kHz).",
        "on a signal sampled at `ghostedu.data.FS` (12 kHz), to within 1 %.",
    ),
    "ex-vibration-bpfo": (
        "compute the outer-race fault frequency in Hz and set `bpfo_hz` to it.",
        "compute the outer-race fault frequency in Hz and set `bpfo_hz` to it (to within 1 %).",
    ),
    "ex-vibration-impacts": ("(both\nmay be fractional).", "(both\nmay be fractional; each to within 1 %)."),
}


def _label(cell) -> str | None:
    for line in cell.source.splitlines():
        if line.startswith(":label:"):
            return line.split(":label:")[1].strip()
    return None


def _exercise_runs(nb):
    """label -> (task, end of the fold, check) indices, without requiring a hidden test."""
    runs = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and "{exercise}" in cell.source:
            end = next(j for j in range(i + 1, len(nb.cells)) if "{solution-end}" in nb.cells[j].source)
            runs[_label(cell)] = (i, end, end + 1)
    return runs


def transplant(path: Path, ref: str, folder: str = "chapters") -> list[str]:
    text = subprocess.run(["git", "show", f"{ref}:{folder}/{path.name}"], capture_output=True, text=True, check=True)
    other = nbformat.reads(text.stdout, as_version=4)
    nb = nbformat.read(path, as_version=4)
    done = []
    for ex in find_exercises(other, f"{ref}:{path}"):
        runs = _exercise_runs(nb)
        if ex.label not in runs:
            done.append(f"{ex.label}: not in {path}, skipped")
            continue
        task, end, check = runs[ex.label]
        folded_ids = {other.cells[i].get("id") for i in ex.folded}
        after = check + 1
        while after < len(nb.cells) and nb.cells[after].get("id") in folded_ids:
            nb.cells.insert(end, nb.cells.pop(after))  # into the fold, before {solution-end}
            end, check, after = end + 1, check + 1, after + 1
            done.append(f"{ex.label}: moved a cell into the folded solution")
        source = other.cells[ex.test].source
        if after < len(nb.cells) and BEGIN_HIDDEN in nb.cells[after].source:
            if nb.cells[after].source != source:
                nb.cells[after].source, nb.cells[after].outputs = source, []
                done.append(f"{ex.label}: hidden test updated")
        else:
            nb.cells.insert(after, nbformat.v4.new_code_cell(source, metadata={"tags": [HIDDEN_TEST_TAG]}))
            done.append(f"{ex.label}: hidden test added")
        if ex.label in TEXT:
            old, new = TEXT[ex.label]
            if old in nb.cells[task].source:
                nb.cells[task].source = nb.cells[task].source.replace(old, new)
                done.append(f"{ex.label}: tolerance stated")
            elif new not in nb.cells[task].source:
                done.append(f"{ex.label}: CHECK BY HAND that the task states its tolerance: {new!r}")
    write_notebook(nb, path)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", required=True, help="git ref of the version holding the hidden tests")
    parser.add_argument("--folder", default="chapters", help="the notebooks' folder in REF (default chapters)")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.notebooks:
        for line in transplant(path, args.ref, args.folder):
            print(f"{path}: {line}")


if __name__ == "__main__":
    main()
