"""CSV for spreadsheets: a cell that a spreadsheet would run as a formula is neutralised.

Text typed by customers and staff (a ticket's subject, an organization's or agent's name) ends up
in exports that accounting opens in Excel or LibreOffice; ``=HYPERLINK(…)`` there is a formula that
runs. OWASP's rule: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading single quote, which spreadsheets show as text. A plain number (``-12.50``) stays a number.
"""
from __future__ import annotations

import csv
import re
from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def cell(value: Any) -> Any:
    """The value as it may go into a CSV cell."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows are neutralised cell by cell; every export of the product uses it."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream, **kwargs) -> SafeWriter:
    return SafeWriter(stream, **kwargs)
