"""Compressed input files: one error for a damaged or mislabelled file.

Readers open compressed files in different ways (pandas infers the
compression from the name; the sniffing readers recognise gzip by its first
bytes), and a damaged file fails deep inside ``gzip``, ``zlib``, ``bz2``,
``lzma`` or ``zipfile``, often only at its end. :func:`decompression_errors`
turns every such failure into one :class:`~analytics.errors.InputError` that
names the file and says what to do; :func:`check_compressed_file` reads a
compressed file to its end without parsing it, for ``readiness check-config``.
Private: used by the readers, the evidence gatherer and the command.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from analytics.errors import InputError

__all__ = [
    "check_compressed_file",
    "content_compression",
    "decompression_error",
    "decompression_errors",
    "is_decompression_error",
    "named_compression",
    "open_by_content",
]

# First bytes of each compressed format, and the names that announce one.
_MAGIC: Final = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
    b"PK\x05\x06": "zip",
    b"\x28\xb5\x2f\xfd": "zstd",
}
_SUFFIXES: Final = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bzip2",
    ".xz": "xz",
    ".zip": "zip",
    ".zst": "zstd",
}
_CATCH: Final = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
_BLOCK_BYTES: Final = 1 << 20


def named_compression(path: str | Path) -> str | None:
    """The compression the file's name announces (``"gzip"`` for ``x.csv.gz``).

    Examples
    --------
    >>> named_compression("events.csv.gz"), named_compression("events.csv")
    ('gzip', None)
    """
    return _SUFFIXES.get(Path(path).suffix.lower())


def content_compression(path: str | Path) -> str | None:
    """The compression the file's first bytes show; None if plain or unreadable."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(6)
    except OSError:
        return None
    return next(
        (kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None
    )


def is_decompression_error(path: str | Path, error: BaseException) -> bool:
    """Whether ``error``, raised while reading ``path``, means a bad compressed stream.

    Only for a file compressed by name or by content: an ``OSError`` without
    an errno (``BadGzipFile``, bz2's "Invalid data stream") or an
    ``EOFError`` (a stream cut short) means a damaged or mislabelled file
    there, while a missing file or a permission problem (with an errno) does not.

    Examples
    --------
    >>> import gzip
    >>> is_decompression_error("m.csv.gz", gzip.BadGzipFile("Not a gzipped file"))
    True
    >>> is_decompression_error("m.csv.gz", PermissionError(13, "Permission denied"))
    False
    """
    if not isinstance(error, _CATCH):
        return False
    if isinstance(error, OSError) and error.errno is not None:
        return False
    return named_compression(path) is not None or content_compression(path) is not None


def decompression_error(path: str | Path, error: BaseException) -> InputError:
    """The :class:`InputError` for a compressed file that cannot be decompressed.

    A file whose name announces a compression its content does not have is
    called mislabelled; any other failure means a damaged file.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".csv.gz", delete=False) as f:
    ...     _ = f.write(b"timestamp,value\\n")
    >>> error = decompression_error(f.name, gzip.BadGzipFile("Not a gzipped file"))
    >>> print(error.problem)
    cannot be read: it is named .gz but is not gzip-compressed (Not a gzipped file)
    >>> print(error.fix)
    if it is plain text, remove .gz from its name; otherwise export it again
    >>> os.remove(f.name)
    """
    named = named_compression(path)
    actual = content_compression(path)
    reason = _first_line(str(error)) or type(error).__name__
    suffix = Path(path).suffix
    if named is not None and actual != named:
        holds = f"holds {actual} data" if actual else f"is not {named}-compressed"
        return InputError(
            path,
            f"cannot be read: it is named {suffix} but {holds} ({reason})",
            fix=f"if it is plain text, remove {suffix} from its name;"
            " otherwise export it again",
        )
    kind = actual or named or "compressed"
    return InputError(
        path,
        f"cannot be read: it is a damaged {kind} file, cut short or corrupted"
        f" ({reason})",
        fix="export or copy it again, whole (an interrupted download or copy"
        " cuts it short); if it is not compressed, remove"
        f" {suffix or 'the compression suffix'} from its name",
    )


@contextmanager
def decompression_errors(path: str | Path | None) -> Iterator[None]:
    """Turn a failure to decompress ``path`` inside the block into an InputError.

    Other errors pass through unchanged; ``path`` None (a live source) guards
    nothing.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".csv.gz", delete=False) as f:
    ...     _ = f.write(gzip.compress(b"timestamp,value\\n" * 1000)[:50])
    >>> with decompression_errors(f.name):  # doctest: +ELLIPSIS
    ...     _ = gzip.open(f.name).read()
    Traceback (most recent call last):
    ...
    analytics.errors.InputError: ...: cannot be read: it is a damaged gzip file, ...
    >>> os.remove(f.name)
    """
    try:
        yield
    except _CATCH as error:
        if path is None or not is_decompression_error(path, error):
            raise
        raise decompression_error(path, error) from error


def check_compressed_file(path: str | Path) -> None:
    """Read a compressed file's stream to its end; raise if it is damaged or mislabelled.

    A plain file with a plain name is not read. A zip archive has each member
    checked; a zstd file is checked by name only (the standard library
    cannot read it).

    Raises
    ------
    InputError
        The stream is cut short or corrupt, or the name announces a
        compression the content does not have.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".csv.gz", delete=False) as f:
    ...     _ = f.write(gzip.compress(b"timestamp,value\\n"))
    >>> check_compressed_file(f.name)
    >>> os.remove(f.name)
    """
    named = named_compression(path)
    actual = content_compression(path)
    if named is not None and actual != named:
        raise decompression_error(path, OSError(f"not a {named} stream"))
    with decompression_errors(path):
        if actual == "zip":
            with zipfile.ZipFile(path) as archive:
                damaged = archive.testzip()
            if damaged is not None:
                raise zipfile.BadZipFile(f"member {damaged!r} is damaged")
            return
        opener = _OPENERS.get(actual or "")
        if opener is None:
            return
        with opener(path) as stream:
            while stream.read(_BLOCK_BYTES):
                pass


def open_by_content(path: str | Path) -> io.BufferedIOBase:
    """Open ``path`` for reading bytes, decompressing gzip, bzip2 or xz by content.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
    ...     _ = f.write(gzip.compress(b"[]"))
    >>> with open_by_content(f.name) as stream:
    ...     stream.read()
    b'[]'
    >>> os.remove(f.name)
    """
    opener = _OPENERS.get(content_compression(path) or "")
    return opener(path) if opener is not None else Path(path).open("rb")


def _open_gzip(path: str | Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb")


def _open_bz2(path: str | Path) -> io.BufferedIOBase:
    return bz2.open(path, "rb")


def _open_xz(path: str | Path) -> io.BufferedIOBase:
    return lzma.open(path, "rb")


_OPENERS: Final = {"gzip": _open_gzip, "bzip2": _open_bz2, "xz": _open_xz}


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""
