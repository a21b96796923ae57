"""CSV files pandas cannot split into rows: every reader says where and how to fix it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analytics.checklist import read_checklist
from analytics.errors import InputError
from analytics.sources.metric_files import read_metric_csv
from analytics.sources.surveys import read_survey_csv

CHECKLIST = (
    "item,area,owner,status,evidence,date,blocking\n",
    "DR tested,infra,Ops,done,https://x,2016-06-20,true\n",
)
METRICS = ("timestamp,value,metric\n", "2016-06-20T00:00:00Z,1,up\n")
SURVEY = ("ticket_id,score,answered_at,kind\n", "T1,5,2016-06-20,csat\n")
# One row with a comma too many, one file with an unclosed quote, per reader.
READERS: dict[str, tuple[Callable[[Path], Any], tuple[str, str], str, str]] = {
    "checklist": (
        read_checklist,
        CHECKLIST,
        "Runbook,ops,Ops,done,https://wiki/a,b,2016-06-20,true\n",
        'Runbook,ops,Ops,done,"https://wiki/a,2016-06-20,true\n',
    ),
    "metric csv": (
        read_metric_csv,
        METRICS,
        "2016-06-20T00:01:00Z,1,up,extra\n",
        '2016-06-20T00:01:00Z,1,"up\n',
    ),
    "survey csv (read_text_csv)": (
        read_survey_csv,
        SURVEY,
        "T2,4,2016-06-20,csat,extra\n",
        'T2,4,"2016-06-20,csat\n',
    ),
}


@pytest.mark.parametrize("reader", READERS)
def test_an_extra_comma_names_the_line_and_field_counts(
    tmp_path: Path, reader: str
) -> None:
    read, (header, good), extra, _ = READERS[reader]
    fields = header.count(",") + 1
    path = tmp_path / "f.csv"
    # Line 13 is the bad one: the header, eleven good rows, then the extra comma.
    path.write_text(header + good * 11 + extra + good, "utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line 13 has {fields + 1} fields")
    assert f"where the header has {fields}" in message
    assert 'Fix: put that cell in double quotes ("Smith, J")' in message


@pytest.mark.parametrize("reader", READERS)
def test_an_extra_comma_on_the_first_row_is_not_read_as_shifted_columns(
    tmp_path: Path, reader: str
) -> None:
    # pandas would take the first column as the index and move every value one
    # column left; the read must fail instead.
    read, (header, good), extra, _ = READERS[reader]
    path = tmp_path / "f.csv"
    path.write_text(header + extra + good, "utf-8")
    with pytest.raises(InputError, match=r"line 2 has \d+ fields where the header"):
        read(path)


@pytest.mark.parametrize("reader", READERS)
def test_an_unclosed_quote_names_its_line(tmp_path: Path, reader: str) -> None:
    read, (header, good), _, quote = READERS[reader]
    path = tmp_path / "f.csv"
    path.write_text(header + good * 3 + quote + good, "utf-8")
    with pytest.raises(
        InputError,
        match=re.escape("a quoted cell that starts on line 5 is never closed"),
    ):
        read(path)
