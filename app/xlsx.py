"""The one Excel path: a streaming (write-only) workbook of one sheet, and the response that sends it.

Rows go straight from an iterator (or an async server-side cursor) into a write-only sheet, which
keeps them in a temporary file rather than in memory, and no cell is ever read back. Whatever text
people typed is made safe on the way: control characters are dropped and text that starts with "="
stays text (a title is never run as a formula). The file name is sent once, as RFC 6266/5987 say:
an ASCII `filename` for old clients and the real (Chinese) name as `filename*`.
"""

import io
from collections.abc import AsyncIterable, Iterable, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from starlette.concurrency import run_in_threadpool

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FONT = Font(bold=True)
_HEADER_ALIGNMENT = Alignment(horizontal="center")


def _clean(value: Any) -> Any:
    # Control characters (a pasted \x01, say) are legal in our text columns but not in a worksheet: openpyxl
    # refuses the whole export. They carry no meaning on paper, so they are dropped.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _cell(ws, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=_clean(value))
    if cell.data_type == "f":  # text that starts with "=" stays text
        cell.data_type = "s"
    return cell


class Sheet:
    """A write-only workbook with one sheet: a header row, then rows appended as they come.
    `book` adds the sheet to a workbook already begun (a workbook of several sheets)."""

    def __init__(
        self,
        title: str,
        headers: Sequence[str],
        *,
        widths: Sequence[float] | None = None,
        bold_header: bool = False,
        freeze_header: bool = False,
        doc_title: str | None = None,
        book: Workbook | None = None,
    ) -> None:
        self.book = book or Workbook(write_only=True)
        self.ws = self.book.create_sheet(title)
        for i, width in enumerate(widths or (), start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        if freeze_header:
            self.ws.freeze_panes = "A2"
        if doc_title:
            self.book.properties.title = doc_title
        header = [_cell(self.ws, h) for h in headers]
        if bold_header:
            for cell in header:
                cell.font, cell.alignment = _HEADER_FONT, _HEADER_ALIGNMENT
        self.ws.append(header)

    def append(self, values: Iterable[Any]) -> None:
        """Append one row (cleaned as above); nothing is read back."""
        self.ws.append([_cell(self.ws, v) for v in values])

    def save(self) -> bytes:
        """The finished file (blocking: zips the sheet)."""
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


async def workbook(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Iterable[Any]] | AsyncIterable[Iterable[Any]],
    **options: Any,
) -> bytes:
    """A one-sheet workbook of `rows` (an iterator or an async cursor), saved off the event loop.

    `options` are Sheet's: widths, bold_header, freeze_header, doc_title.
    """
    sheet = Sheet(title, headers, **options)
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            sheet.append(row)
    else:
        for row in rows:
            sheet.append(row)
    return await run_in_threadpool(sheet.save)


async def workbook_of(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Iterable[Any]]]], *, doc_title: str | None = None
) -> bytes:
    """A workbook of several sheets, each (title, headers, rows), written as they come (write-only)."""
    book = Workbook(write_only=True)
    if doc_title:
        book.properties.title = doc_title
    for title, headers, rows in sheets:
        sheet = Sheet(title, headers, book=book, bold_header=True, freeze_header=True)
        for row in rows:
            sheet.append(row)

    def save() -> bytes:
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    return await run_in_threadpool(save)


def xlsx_response(data: bytes, filename: str, *, ascii_name: str | None = None) -> Response:
    """The workbook as a download named `filename` (Chinese welcome); `ascii_name` for old clients."""
    fallback = ascii_name or filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content=data, media_type=XLSX, headers={"Content-Disposition": disposition})
