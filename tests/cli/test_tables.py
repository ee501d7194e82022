"""Tables on a terminal: on an 80-column terminal an id is shown whole (it is what the next
command takes: `imi request show ID`), and a key/value table has no empty header row."""

from __future__ import annotations

import io
import re
import sys

import pytest

RID = "01a22d54-7cef-7000-9b71-a2a817c526a1"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def on_terminal(monkeypatch):
    """``on_terminal(fn)``: call fn with stdout an 80-column terminal; returns what it drew."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")

    def draw(fn) -> str:
        out = Terminal()
        monkeypatch.setattr(sys, "stdout", out)  # here: pytest's capture resumes between phases
        try:
            fn()
        finally:
            monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        return re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # bold headers

    return draw


def test_a_request_id_is_whole_in_a_wide_list_on_80_columns(on_terminal):
    from imi_cli.cli.output import print_table
    from imi_cli.commands.request import LIST

    row = {"id": RID, "direction": "incoming", "state": "answered", "requester": "IE-RIAI",
           "responder": "HU-MEK", "subject": "Architect's qualification", "deadline": "2027-01-31",
           "days_left": 62}
    text = on_terminal(lambda: print_table([row], LIST))
    assert RID in text, text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_key_value_table_has_no_empty_header_row(unlocked, examples, on_terminal, imi):
    from imi_cli.cli.app import main

    assert imi("authority", "import", examples / "authorities.csv").code == 0
    codes = []
    text = on_terminal(lambda: codes.append(main(["authority", "show", "HU-MEK"])))
    assert codes == [0]
    lines = text.splitlines()
    assert "id" in lines[1] and "HU-MEK" in lines[1], text  # the first row under the border


def test_a_request_row_on_a_terminal_reads_in_words(on_terminal):
    """States and directions as words, the deadline as a day and the time left, and the
    subject's language where it is not the reader's; codes and ISO days stay for scripts."""
    from imi_cli.cli.output import print_table
    from imi_cli.commands.request import LIST, _headed, _request_row

    row = {"id": RID, "direction": "incoming", "state": "deadline_proposed", "requester": "IE-RIAI",
           "responder": "HU-MEK", "subject": "Architekt", "deadline": "2999-01-31", "days_left": 1000}
    shown = _request_row(row, {RID: "de"}, "en")
    assert (shown["state"], shown["subject"], shown["deadline"]) == ("deadline proposed", "Architekt [de]",
                                                                      "Jan 31, 2999")
    assert shown["days_left"].startswith("in ") and shown["days_left"].endswith(" days")
    assert _request_row(row, {RID: "en"}, "en")["subject"] == "Architekt"
    assert row["state"] == "deadline_proposed"  # the row itself (JSON, tab-separated) keeps the code
    text = on_terminal(lambda: print_table([shown], _headed(LIST)))
    assert RID in text and max(len(line) for line in text.splitlines()) <= 80
