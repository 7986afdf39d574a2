"""The book's own tools, beside the ``ghostedu`` package (which never imports them).

Run from the repository root as ``python -m booktools <command>`` (``--help`` lists them):

* :mod:`booktools.student` -- student copies of the chapter notebooks (solutions stubbed,
  outputs cleared), and the first cell that installs ``ghostedu`` on Colab (``setup-cell``).
* :mod:`booktools.timings` -- how long each notebook takes to run, for the page that shows it.
* :mod:`booktools.setup_cell` -- the ``setup-cell`` command: the Colab install cell in every notebook.
* :mod:`booktools.files` -- the one home of reading and writing a user's files: every input checked
  before anything changes, no output written over an input (links and hard links included), every
  file written atomically. Every command that writes uses it.

They need the packages of the optional extra ``book`` (``pip install .[book]``; requirements.txt
pins them): nbformat, nbclient and PyYAML.
"""
