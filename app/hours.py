"""How service time is written for people: whole hours and minutes, exact ("12小时15分").

Every page, workbook and message shows minutes through `hours_text`, so a sum of shown figures is
the shown sum (no "0.8 小时" that adds up wrong). Amounts stay whole minutes everywhere else.
"""


def hours_text(minutes: int | None) -> str:
    """750 → '12小时30分', 60 → '1小时', 45 → '45分', 0 → '0分', -75 → '−1小时15分'."""
    value = int(minutes or 0)
    sign = "−" if value < 0 else ""
    h, m = divmod(abs(value), 60)
    if h and m:
        return f"{sign}{h}小时{m}分"
    if h:
        return f"{sign}{h}小时"
    return f"{sign}{m}分"
