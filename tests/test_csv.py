"""CSV files the readers cannot split into rows: every reader says why, where and how to fix it.

A row with a comma too many, an unclosed quote, a file separated by semicolons or
tabs, a file in UTF-16.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analytics.checklist import read_checklist
from analytics.errors import InputError
from analytics.sources.activity import read_activity_csv
from analytics.sources.jira import read_jira_csv
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


# --- files the comma-separated UTF-8 readers cannot split: say what they are ----------

_SURVEY_ROWS = (
    "response_id;answered_at;ticket_id;score;segment",
    "C1;25.02.2026 14:00;;5;smb",
    "C2;26.02.2026 14:00;;4,5;smb",  # a decimal comma, as German Excel writes
)


def _read_survey(path: Path) -> Any:
    return read_survey_csv(path, kind="csat")


def _read_jira(path: Path) -> Any:
    return read_jira_csv(path)


def _read_activity(path: Path) -> Any:
    return read_activity_csv(path)


@pytest.mark.parametrize(
    ("read", "lines"),
    [
        (_read_survey, _SURVEY_ROWS),
        (
            _read_jira,
            (
                "Summary;Issue key;Issue id;Created",
                "a;SUP-1;1;25/Feb/26 10:17 PM",
            ),
        ),
        (_read_activity, ("user_id;timestamp;feature", "u1;2026-02-20T10:00:00Z;x")),
    ],
)
@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode(),
        # Excel: byte-order mark and CRLF line ends.
        lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        lambda text: gzip.compress(text.encode()),
    ],
    ids=["plain", "excel-bom-crlf", "gzip"],
)
def test_a_semicolon_separated_file_is_named_as_such(
    tmp_path: Path, read: Callable[[Path], Any], lines: tuple[str, ...], encode: Any
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(encode("\n".join(lines) + "\n"))
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    names = lines[0].split(";")
    assert message.startswith(
        f"{path}: is separated by semicolons (;), not commas: its header has no comma"
        f" but splits on ';' into {len(names)} columns ({', '.join(names)})"
    )
    assert "Fix: export it again with a comma as the separator" in message
    assert "column_map" not in message


def test_a_tab_separated_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "csat.csv"
    path.write_text("response_id\tscore\nC1\t5\n", "utf-8")
    with pytest.raises(
        InputError, match=r"separated by tabs, not commas.*splits on tab into 2"
    ):
        _read_survey(path)


def test_a_comma_file_with_semicolons_inside_names_is_read(tmp_path: Path) -> None:
    path = tmp_path / "csat.csv"
    path.write_text('response_id,score,"note; free text"\nC1,5,"a;b"\n', "utf-8")
    assert _read_survey(path).frame["score"].tolist() == [5.0]


@pytest.mark.parametrize(
    ("codec", "expected"),
    [
        ("utf-16", "UTF-16LE"),  # with a byte-order mark, as Excel's "Unicode Text"
        ("utf-16-le", "UTF-16LE"),
        ("utf-16-be", "UTF-16BE"),
        ("utf-32", "UTF-32LE"),
    ],
)
@pytest.mark.parametrize("read", [_read_survey, _read_jira, _read_activity])
def test_utf16_text_is_not_called_binary(
    tmp_path: Path, codec: str, expected: str, read: Callable[[Path], Any]
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Summary,Issue key,Created\na,SUP-1,x\n".encode(codec))
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert f"is {expected[:6]} text ({expected}), not UTF-8" in message
    assert "binary" not in message
    assert f"iconv -f {expected} -t UTF-8 export.csv > export-utf8.csv" in message


def test_gzipped_utf16_is_named_too(tmp_path: Path) -> None:
    path = tmp_path / "csat.csv.gz"
    path.write_bytes(gzip.compress("response_id,score\nC1,5\n".encode("utf-16")))
    with pytest.raises(InputError, match=r"is UTF-16 text \(UTF-16LE\), not UTF-8"):
        _read_survey(path)


def test_a_really_binary_file_is_still_called_binary(tmp_path: Path) -> None:
    path = tmp_path / "csat.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="is a binary file, not CSV"):
        _read_survey(path)
