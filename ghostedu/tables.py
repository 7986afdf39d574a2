"""The one table type of the package: fixed-width text when printed, an HTML table in a notebook.

``trace``, ``layer_table``, ``ghostnet_table``, ``receptive_field`` and the book's timing page all
show their results through :class:`Table`; a result class gets ``str``, ``repr`` and the notebook's
HTML from its ``table()`` method by inheriting :class:`Tabular`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

__all__ = ["Table", "Tabular"]

_INLINE_CODE = re.compile(r"`([^`]+)`")


class Table:
    """Rows of cells under a header.

    ``str(table)`` lines the columns up in fixed width (``right``: the indices of right-aligned
    columns) with a rule under the header and the ``footer`` line last; in a notebook the table
    shows as HTML (``_repr_html_``): right-aligned columns stay so, the cells of the ``code``
    columns are set as code, text between backticks in any cell is code too (as in Markdown), and
    ``css_class`` names the table for a style sheet. Cells are shown with ``str``.
    """

    def __init__(
        self,
        columns: Sequence[str],
        rows: Iterable[Sequence[object]],
        *,
        right: Iterable[int] = (),
        code: Iterable[int] = (),
        footer: str = "",
        css_class: str = "",
    ):
        self.columns = tuple(str(c) for c in columns)
        self.rows = [tuple(str(v) for v in row) for row in rows]
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"Table: expected {len(self.columns)} cells in every row, got {len(row)} in row {i}: {row!r}"
                )
        self.right = frozenset(right)
        self.code = frozenset(code)
        self.footer = footer
        self.css_class = css_class

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        widths = [max(len(row[i]) for row in (self.columns, *self.rows)) for i in range(len(self.columns))]

        def line(row: tuple[str, ...]) -> str:
            return "  ".join(
                cell.rjust(w) if i in self.right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))
            ).rstrip()

        lines = [line(self.columns), "  ".join("-" * w for w in widths), *map(line, self.rows)]
        return "\n".join(lines + ([self.footer] if self.footer else []))

    __repr__ = __str__

    def _cell(self, tag: str, text: str, i: int) -> str:
        style = ' style="text-align:right"' if i in self.right else ""
        body = _INLINE_CODE.sub(r"<code>\1</code>", html.escape(text))
        if tag == "td" and i in self.code and text:
            body = f"<code>{body}</code>"
        return f"<{tag}{style}>{body}</{tag}>"

    def _repr_html_(self) -> str:
        head = "".join(self._cell("th", c, i) for i, c in enumerate(self.columns))
        body = "\n".join(
            "<tr>" + "".join(self._cell("td", c, i) for i, c in enumerate(row)) + "</tr>" for row in self.rows
        )
        css = f' class="{html.escape(self.css_class)}"' if self.css_class else ""
        foot = (
            f'<tfoot><tr><td colspan="{len(self.columns)}">{html.escape(self.footer)}</td></tr></tfoot>\n'
            if self.footer
            else ""
        )
        return f"<table{css}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n{foot}</table>"


class Tabular:
    """A result shown as the :class:`Table` its ``table()`` method builds: printed as text, and
    as HTML in a notebook."""

    def table(self) -> Table:
        raise NotImplementedError(f"{type(self).__name__}.table: expected a subclass to build its Table")

    def __str__(self) -> str:
        return str(self.table())

    def __repr__(self) -> str:
        return str(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()
