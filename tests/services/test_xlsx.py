"""The one Excel path: a write-only sheet fed by an iterator or an async cursor, typed text kept as
text, and the Chinese file name sent once as RFC 5987's filename*."""

import io

from openpyxl import load_workbook

from app import xlsx


async def _rows():
    yield ["买\x01药\x1f", 1]
    yield ['=HYPERLINK("x")', None]


async def test_workbook_from_an_async_cursor_keeps_typed_text_as_text():
    data = await xlsx.workbook(
        "清单",
        ["名称", "数量"],
        _rows(),
        widths=[20, 8],
        bold_header=True,
        freeze_header=True,
        doc_title="标题",
    )
    book = load_workbook(io.BytesIO(data))
    ws = book.active
    assert ws.title == "清单"
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["名称", "数量"],
        ["买药", 1],
        ['=HYPERLINK("x")', None],
    ]
    assert ws["A3"].data_type == "s"  # never a formula
    assert ws["A1"].font.b is True
    assert (ws.freeze_panes, ws.column_dimensions["A"].width, book.properties.title) == ("A2", 20, "标题")


async def test_workbook_from_a_plain_iterator_is_write_only():
    sheet = xlsx.Sheet("统计", ["指标", "数值"])
    assert sheet.book.write_only
    sheet.save()
    data = await xlsx.workbook("统计", ["指标", "数值"], iter([("人数", 3)]))
    assert [tuple(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)] == [
        ("指标", "数值"),
        ("人数", 3),
    ]


def test_xlsx_response_names_the_file_once_in_ascii_and_in_utf8():
    resp = xlsx.xlsx_response(b"x", "幸福社区需求清单.xlsx", ascii_name="needs.xlsx")
    assert resp.media_type == xlsx.XLSX
    assert resp.headers["content-disposition"] == (
        "attachment; filename=\"needs.xlsx\"; filename*=UTF-8''"
        "%E5%B9%B8%E7%A6%8F%E7%A4%BE%E5%8C%BA%E9%9C%80%E6%B1%82%E6%B8%85%E5%8D%95.xlsx"
    )
    plain = xlsx.xlsx_response(b"x", "stats-1-2026-01-01-2026-12-02.xlsx")
    assert plain.headers["content-disposition"] == (
        'attachment; filename="stats-1-2026-01-01-2026-12-02.xlsx"; '
        "filename*=UTF-8''stats-1-2026-01-01-2026-12-02.xlsx"
    )
