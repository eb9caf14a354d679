"""Rows into an openpyxl sheet, whatever text people typed: the one place every Excel export appends through."""

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def _clean(value: Any) -> Any:
    # Control characters (a pasted \x01, say) are legal in our text columns but not in a worksheet: openpyxl
    # refuses the whole export. They carry no meaning on paper, so they are dropped.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def append_row(ws, values: list[Any]) -> None:
    """Append one row; text that starts with "=" stays text (a title is never run as a formula)."""
    ws.append([_clean(v) for v in values])
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
