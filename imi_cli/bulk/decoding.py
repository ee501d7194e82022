"""The text of a file a user gives: UTF-8 (with or without a byte-order mark), UTF-16 with
one (Excel's "Unicode text"), or the encoding the user names (``--encoding cp1250``).

Anything else is refused, never decoded on a guess: the error names the line and byte, the
code page the file most likely is (``imi_cli.bulk.encodings``) and the word there as it
would read in it, so the user sees "Győr" and knows the guess is right before using it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from imi_cli.bulk.files import MiB, TooBig, open_regular_file, read_regular_file
from imi_cli.errors import InvalidInput, UsageError
from imi_cli.i18n import _, t

MAX_FILE_BYTES = 256 * MiB  # about a million authorities in CSV
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_text(path: Path, limit: int = MAX_FILE_BYTES, *, encoding: str | None = None,
              encoding_option: bool = False) -> str:
    """The text of a regular file of at most ``limit`` bytes; else a clear error.

    ``encoding`` is what the user named (None: UTF-8, or UTF-16 with a byte-order mark);
    ``encoding_option``: the command has ``--encoding``, so the hint may say to use it."""
    data = read_regular_file(path, limit)
    text = decode(path, data, encoding, encoding_option=encoding_option)
    if not text.strip():
        raise InvalidInput(t("{where}: the file is empty", where=path))
    return text


PIECE = 1024 * 1024  # bytes read at a time by ``text_pieces``


def text_pieces(path: Path, limit: int = MAX_FILE_BYTES, *, encoding: str | None = None,
                encoding_option: bool = False) -> Iterator[str]:
    """The text ``read_text`` gives, in pieces of about a MiB, never the whole file at once:
    the same checks, and the same errors (a byte that does not decode is reported as
    ``read_text`` reports it, when the reading gets there). The file is opened and its
    start checked now; the rest is read as the pieces are taken."""
    handle = open_regular_file(path, limit)
    try:
        first = handle.read(max(PIECE, 4096))  # what the byte-order mark and NUL checks look at
        name = _start_codec(path, first, encoding, encoding_option)
    except BaseException:
        handle.close()
        raise
    return _pieces(path, handle, first, name, limit, encoding, encoding_option)


def _start_codec(path: Path, first: bytes, encoding: str | None, encoding_option: bool) -> str:
    """The codec for a file that starts with ``first`` (as ``decode`` chooses it)."""
    if encoding:
        return codec(encoding)
    if first.startswith(_UTF16_BOMS):
        return "utf-16"
    if b"\x00" in first[:4096]:
        decode(path, first, encoding_option=encoding_option)  # raises: UTF-16 without a byte-order mark
    return "utf-8-sig"


def _pieces(path: Path, handle: BinaryIO, data: bytes, name: str, limit: int, encoding: str | None,
            encoding_option: bool) -> Iterator[str]:
    with handle:
        decoder = codecs.getincrementaldecoder(name)()
        read, start = 0, True
        blank: list[str] | None = []  # the pieces before the first that is not only white space
        while True:
            read += len(data)
            if read > limit:
                raise TooBig(path, read, limit)
            try:
                text = decoder.decode(data, final=not data)
            except (UnicodeError, ValueError):
                read_text(path, limit, encoding=encoding, encoding_option=encoding_option)  # raises, as it says
                raise InvalidInput(t("{path}: cannot be read ({reason})", path=path, reason="changed")) from None
            if start and text:
                text, start = (text.removeprefix("\ufeff") if encoding else text), False
            if blank is not None and text.strip():
                yield from blank
                blank = None
            if blank is not None:
                blank.append(text)
            elif text:
                yield text
            if not data:
                break
            data = handle.read(PIECE)
        if blank is not None:
            raise InvalidInput(t("{where}: the file is empty", where=path))


def unknown_encoding(name: str) -> UsageError:
    return UsageError(t("{name!r} is not an encoding Python knows", name=name),
                      hint=_("e.g. --encoding cp1250 (Central Europe), cp1252 (Western Europe), utf-16"))


def codec(name: str) -> str:
    """The codec for an --encoding value (a UTF-8 file's byte-order mark is dropped)."""
    try:
        found = codecs.lookup(name.strip()).name
        b"x".decode(found, errors="ignore")  # a codec of bytes to bytes (rot13, zlib) is no text encoding
    except (LookupError, UnicodeError, ValueError):  # idna, punycode, undefined: no file encodings
        raise unknown_encoding(name) from None
    return "utf-8-sig" if found == "utf-8" else found


def decode(path: Path, data: bytes, encoding: str | None = None, *, encoding_option: bool = False) -> str:
    if encoding:
        name = codec(encoding)
        try:
            return data.decode(name).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise InvalidInput(t("{path}:{line}: the file is not {encoding} (byte {byte})", path=path,
                                 line=data[: exc.start].count(b"\n") + 1, encoding=encoding, byte=exc.start + 1),
                               hint=_guess_hint(data, exc.start, encoding_option)) from None
        except (UnicodeError, ValueError):  # a codec that takes no file (punycode)
            raise unknown_encoding(encoding) from None
    if data.startswith(_UTF16_BOMS):  # Excel's "Unicode text"
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        order = "utf-16-le" if data[1:4096:2].count(0) > data[0:4096:2].count(0) else "utf-16-be"
        raise InvalidInput(t("{path}: the file holds NUL bytes: it looks like UTF-16 without a byte-order mark",
                             path=path), hint=_use(order, encoding_option))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(t("{path}:{line}: the file is not UTF-8 (byte {byte})", path=path,
                             line=data[: exc.start].count(b"\n") + 1, byte=exc.start + 1),
                           hint=_guess_hint(data, exc.start, encoding_option)) from None


def _guess_hint(data: bytes, at: int, encoding_option: bool) -> str:
    from imi_cli.bulk.encodings import guess

    likely = guess(data)
    if likely is None:
        return _("save it as UTF-8 (in a spreadsheet: Save as, \"CSV UTF-8\")")
    # Translators: {encoding} is a code page (cp1250), {word} a word of the file as it reads in it
    return t("it looks like {encoding}, in which the word there reads {word!r}; if so, {remedy}",
             encoding=likely, word=_word_at(data, at, likely), remedy=_use(likely, encoding_option))


def _use(encoding: str, encoding_option: bool) -> str:
    if encoding_option:
        return t("run again with --encoding {encoding}", encoding=encoding)
    return t("save it as UTF-8 (iconv -f {encoding} -t utf-8)", encoding=encoding)


def _word_at(data: bytes, at: int, encoding: str) -> str:
    """The word around byte ``at`` (to the nearest space, delimiter or quote), decoded."""
    stops = b" \t\r\n,;\"'"
    start, end = at, at
    while start > 0 and data[start - 1] not in stops and at - start < 40:
        start -= 1
    while end < len(data) and data[end] not in stops and end - at < 40:
        end += 1
    return data[start:end].decode(encoding, errors="replace")
