"""The stubs of the student copies.

An exercise in a chapter is a code cell tagged ``solution`` whose answer sits between two marker lines::

    # BEGIN SOLUTION
    n_params = 9 * 32 + 32 * 64
    # END SOLUTION

followed by a cell that calls a check from :mod:`ghostedu.exercises` (see
:mod:`booktools.exercise_cells`). The student copies are made by nbgrader
(:mod:`booktools.course`); :func:`stub_cell_source` is the stub it puts in place of each region
(:class:`booktools.grading.StubSolutions`). In the stub

* each name the solution assigns becomes ``name = None  # YOUR CODE HERE``, which the check reports as
  "not answered yet";
* each ``def`` keeps its signature and docstring, and its body raises
  ``NotImplementedError("<name>: YOUR CODE HERE")``;
* each ``class`` keeps its bases and docstring, and each of its methods becomes such a stub (a class
  with no method gets an ``__init__`` that raises), so ``issubclass`` still works and instantiating it
  says what is missing.

A region may hold only top-level assignments, ``def`` and ``class`` statements; anything else, a
marker without its partner, or a marker outside a cell tagged ``solution``, is an error that names the
notebook, the cell and the line.
"""

from __future__ import annotations

import ast
import copy
import re

__all__ = ["SOLUTION_TAG", "SolutionRegionError", "stub_region", "stub_cell_source"]

SOLUTION_TAG = "solution"
STUB_COMMENT = "# YOUR CODE HERE"
REGION_START = "# ---- YOUR CODE HERE: replace each stub, then run the check ----"
REGION_END = "# ---- END OF YOUR CODE ----"

_BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^(\s*)#+\s*END SOLUTION\s*$")


class SolutionRegionError(ValueError):
    """A ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region that the student copy cannot stub."""


# ---------------------------------------------------------------------------------------------------
# One region -> stubs


def _target_names(target: ast.expr, where: str) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for elt in target.elts for name in _target_names(elt, where)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value, where)
    raise SolutionRegionError(
        f"{where}, line {target.lineno}: a solution may assign plain names only, not "
        f"`{ast.unparse(target)}`; assign the answer to a name and let the check use it."
    )


def _raise_line(qualname: str) -> str:
    return f'raise NotImplementedError("{qualname}: YOUR CODE HERE")'


def _header(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[list[str], str]:
    """The ``def``/``class`` line(s) and docstring of ``node`` (its body dropped), and the body's indent."""
    header = copy.deepcopy(node)
    docstring = ast.get_docstring(node, clean=False)
    header.body = ([ast.Expr(ast.Constant(docstring))] if docstring is not None else []) + [ast.Pass()]
    lines = ast.unparse(header).splitlines()
    assert lines[-1].strip() == "pass"
    return lines[:-1], lines[-1][: len(lines[-1]) - len(lines[-1].lstrip())]


def _stub_function(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, indent: str = "") -> str:
    """The ``def`` line(s) and docstring of ``node``, with a body that raises NotImplementedError."""
    lines, body_indent = _header(node)
    lines += [body_indent + STUB_COMMENT, body_indent + _raise_line(qualname)]
    return "\n".join(indent + line for line in lines)


def _stub_class(node: ast.ClassDef, indent: str = "") -> str:
    """The ``class`` line(s) and docstring of ``node``, each method stubbed."""
    lines, body_indent = _header(node)
    methods = [stmt for stmt in node.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if methods:
        stubs = [_stub_function(m, f"{node.name}.{m.name}", body_indent) for m in methods]
    else:
        init = ast.parse("def __init__(self, *args, **kwargs):\n    pass").body[0]
        stubs = [_stub_function(init, node.name, body_indent)]
    lines += "\n\n".join(stubs).splitlines()
    return "\n".join(indent + line for line in lines)


def stub_region(code: str, where: str = "solution region", first_line: int = 1) -> str:
    """The stub that replaces the body of one solution region (the lines between the markers).

    ``first_line`` is the line number of the region's first line in its cell (for error messages).
    Raises :class:`SolutionRegionError` when ``code`` does not parse or holds a statement other
    than a top-level assignment, ``def`` or ``class``.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise SolutionRegionError(
            f"{where}, line {(err.lineno or 1) + first_line - 1}: the solution does not parse as Python: {err.msg}."
        ) from err
    if not tree.body:
        raise SolutionRegionError(f"{where}, line {first_line - 1}: the solution region is empty.")
    ast.increment_lineno(tree, first_line - 1)
    parts: list[str] = []
    names: list[str] = []
    stubbed: set[str] = set()

    def flush_names() -> None:
        new = [name for name in dict.fromkeys(names) if name not in stubbed]
        if new:
            parts.append("\n".join(f"{name} = None  {STUB_COMMENT}" for name in new))
            stubbed.update(new)
        names.clear()

    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                names.extend(_target_names(target, where))
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            names.extend(_target_names(stmt.target, where))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            flush_names()
            parts.append(_stub_function(stmt, stmt.name))
        elif isinstance(stmt, ast.ClassDef):
            flush_names()
            parts.append(_stub_class(stmt))
        else:
            raise SolutionRegionError(
                f"{where}, line {stmt.lineno}: only top-level assignments, `def` and "
                f"`class` statements may stand between the markers, not `{ast.unparse(stmt).splitlines()[0]}` "
                f"({type(stmt).__name__}). Move it outside the markers."
            )
    flush_names()
    return "\n".join([REGION_START, "\n\n".join(parts), REGION_END])


def stub_cell_source(source: str, where: str = "cell") -> str:
    """``source`` with each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region replaced by its stub.

    Lines outside the regions are kept as they are. Raises :class:`SolutionRegionError` for a cell
    without a region, an indented marker, or a marker without its partner.
    """
    lines = source.splitlines()
    out: list[str] = []
    region: list[str] | None = None
    begin_line = 0
    found = False
    for number, line in enumerate(lines, start=1):
        begin, end = _BEGIN.match(line), _END.match(line)
        if (begin or end) and (begin or end).group(1):
            raise SolutionRegionError(
                f"{where}, line {number}: `{line.strip()}` must start at the "
                "beginning of the line (solutions are top-level code)."
            )
        if begin:
            if region is not None:
                raise SolutionRegionError(
                    f"{where}, line {number}: `# BEGIN SOLUTION` inside the region "
                    f"opened on line {begin_line}; close it with `# END SOLUTION` first."
                )
            region, begin_line = [], number
        elif end:
            if region is None:
                raise SolutionRegionError(
                    f"{where}, line {number}: `# END SOLUTION` without a `# BEGIN SOLUTION` before it."
                )
            out.append(stub_region("\n".join(region), where, first_line=begin_line + 1))
            region, found = None, True
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise SolutionRegionError(
            f"{where}, line {begin_line}: `# BEGIN SOLUTION` is never closed by `# END SOLUTION`."
        )
    if not found:
        raise SolutionRegionError(
            f"{where}: the cell is tagged {SOLUTION_TAG!r} but has no `# BEGIN SOLUTION` ... `# END SOLUTION` region."
        )
    return "\n".join(out)
