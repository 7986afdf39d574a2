"""The book's own tools, beside the ``ghostedu`` package (which never imports them).

Run from the repository root as ``python -m booktools <command>`` (``--help`` lists them):

* :mod:`booktools.exercise_cells` -- the nbgrader metadata of every exercise's cells (``exercises``).
* :mod:`booktools.student` -- the stubs that replace solutions in the student copies.
* :mod:`booktools.course`, :mod:`booktools.grading` -- the classroom on nbgrader: student copies
  (``student``), release, collect, autograde, feedback and gradebook (``course``).
* :mod:`booktools.timings` -- how long each notebook takes to run, for the page that shows it.
* :mod:`booktools.setup_cell` -- the first cell that installs ``ghostedu`` on Colab, in every
  notebook (``setup-cell``).
* :mod:`booktools.i18n` -- the Chinese edition's catalogs: update, check, build.
* :mod:`booktools.files` -- the one home of reading and writing a user's files: every input checked
  before anything changes, no output written over an input (links and hard links included), every
  file written atomically. Every command that writes uses it.

They need the packages of the optional extra ``book`` (``pip install .[book]``; requirements.txt
pins them): nbformat, nbclient and PyYAML.
"""
