"""Deterministic Lambda packages: the same source files always give the same zip bytes.

Zip entries carry timestamps and permissions from the file system, so a naive
zip changes on every checkout and the golden snapshots (and ``source_code_hash``)
churn. Here entries are sorted, timestamps are fixed at 1980-01-01 (the zip
epoch) and every file gets mode 0644; bytecode caches are left out.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644  # regular file, rw-r--r--
_EXCLUDED_PARTS = {"__pycache__", ".pytest_cache"}
_EXCLUDED_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class Package:
    """A built zip. path: where it was written. sha256_b64: Lambda's ``source_code_hash`` format."""

    path: Path
    sha256_hex: str
    sha256_b64: str


def deterministic_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``(archive name, content)`` entries, in the given order, with fixed dates and modes.

    The one zip writer of the project: the Lambda package and the canary package both use it.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE_TIME)
            info.external_attr = _FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode bits are honoured everywhere
            archive.writestr(info, content, compresslevel=9)
    return buffer.getvalue()


def write_content_addressed(data: bytes, out_dir: Path, *, name_prefix: str = "") -> tuple[Path, str]:
    """Write ``data`` to ``out_dir/<name_prefix><sha256>.zip`` atomically (unless it is already there).

    Returns the path and the hex SHA-256.
    """
    digest = hashlib.sha256(data).hexdigest()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name_prefix}{digest}.zip"
    if not path.is_file() or path.read_bytes() != data:
        tmp = path.with_suffix(f".{id(data)}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path, digest


def zip_bytes(source_dir: Path, *, prefix: str = "") -> bytes:
    """The deterministic zip of every file under ``source_dir``, stored under ``prefix/`` in the archive."""
    source_dir = Path(source_dir)
    files = sorted(
        p
        for p in source_dir.rglob("*")
        if p.is_file() and not _EXCLUDED_PARTS.intersection(p.parts) and p.suffix not in _EXCLUDED_SUFFIXES
    )
    if not files:
        raise ValueError(f"no files to package under {source_dir}")
    return deterministic_zip(
        ("/".join(filter(None, (prefix.strip("/"), path.relative_to(source_dir).as_posix()))), path.read_bytes())
        for path in files
    )


def build_package(source_dir: Path, *, prefix: str = "", out_dir: Path | None = None) -> Package:
    """Write the deterministic zip to ``out_dir`` (default: a per-user temp cache), named by its hash.

    The file is only an input for ``TerraformAsset``, which copies it into the
    stack's output directory; the synthesized JSON references that copy by a
    relative path, never this one.
    """
    data = zip_bytes(source_dir, prefix=prefix)
    out_dir = Path(out_dir) if out_dir else Path(tempfile.gettempdir()) / "agenticai-lambda-packages"
    path, digest = write_content_addressed(data, out_dir)
    return Package(path=path, sha256_hex=digest, sha256_b64=base64.b64encode(bytes.fromhex(digest)).decode())
