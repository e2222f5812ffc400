"""Writing results to disk: atomic files and the provenance kept beside them.

Every file is written to a temporary name in its own directory, flushed to
disk and renamed over the target with :func:`os.replace`. A reader (or a run
killed half-way) therefore sees either the old file or the complete new one,
never a truncated table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import pandas as pd

#: Table formats :func:`write_table` knows, by file suffix.
TABLE_FORMATS = ("parquet", "csv")


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb", *, durable: bool = True) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` when the block ends without error.

    The one atomic writer of hidsim: every table, figure, JSON record and a sweep's
    part files go through it.

    Args:
        path: the final file name; its directory is created if missing.
        mode: ``"wb"`` or ``"w"`` (text, UTF-8).
        durable: ``fsync`` the file and its directory. The rename alone already makes
            the file whole or absent for any reader and after any kill of the process;
            the syncs make it survive a power cut too. A sweep's part files skip them
            (their run's manifest record, written after them, is synced), which keeps
            the writer off the critical path of fast sweeps.

    Yields:
        The open temporary file.

    Examples:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
        >>> with atomic_open(target, "w") as fh:
        ...     _ = fh.write("done")
        >>> target.read_text()
        'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same directory as the target: os.replace is only atomic within one file system.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); results get the permissions of any new file.
        os.chmod(tmp, 0o666 & ~_umask())
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def _umask() -> int:
    """The process umask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself (POSIX); a no-op where directories cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: str | Path, write: Callable[[IO], Any], mode: str = "wb", *,
                 durable: bool = True) -> Path:
    """Write a file atomically with a function that writes to an open file.

    Args:
        path: the final file name.
        write: called with the open temporary file.
        mode: ``"wb"`` or ``"w"``.
        durable: ``fsync`` the file and its folder (see :func:`atomic_open`).

    Returns:
        The path written.
    """
    with atomic_open(path, mode, durable=durable) as fh:
        write(fh)
    return Path(path)


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame atomically as Parquet or CSV, chosen by the file suffix.

    The index is not written: hidsim's tables are tidy, with every key a column.

    Args:
        table: the table.
        path: ``*.parquet`` or ``*.csv``.

    Returns:
        The path written.
    """
    suffix = Path(path).suffix.lstrip(".")
    if suffix == "parquet":
        return write_atomic(path, lambda fh: table.to_parquet(fh, index=False))
    if suffix == "csv":
        return write_atomic(path, lambda fh: table.to_csv(fh, index=False, lineterminator="\n"),
                            "w")
    raise ValueError(f"{path}: unknown table format '{suffix}'; use one of {TABLE_FORMATS}")


def write_tables(tables: Mapping[str, pd.DataFrame], directory: str | Path,
                 fmt: str = "parquet") -> list[Path]:
    """Write each table as ``<directory>/<name>.<fmt>``.

    Args:
        tables: table name to DataFrame (e.g. ``AdoptionModel.results()``).
        directory: the output directory (created if missing).
        fmt: ``"parquet"`` or ``"csv"``.

    Returns:
        The paths written, in the order of ``tables``.
    """
    return [write_table(table, Path(directory) / f"{name}.{fmt}") for name, table in tables.items()]


def write_json(data: Any, path: str | Path) -> Path:
    """Write JSON atomically (indented, UTF-8, non-ASCII kept readable)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=_jsonable) + "\n"
    return write_atomic(path, lambda fh: fh.write(text), "w")


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars and paths into plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_figure(figure, path: str | Path, dpi: int = 120) -> Path:
    """Save a matplotlib Figure atomically; the format follows the suffix (``.png``)."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    return write_atomic(path, lambda fh: figure.savefig(fh, format=fmt, dpi=dpi,
                                                        bbox_inches="tight"))


def sha256(path: str | Path) -> str:
    """The SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def software_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run's numbers depend on."""
    versions = {"python": platform.python_version()}
    for package in ("hidsim", "mesa", "numpy", "pandas", "networkx", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def software_provenance() -> dict[str, Any]:
    """The software block of every run's provenance (``hidsim run`` and each sweep's runs).

    Returns:
        The versions of :func:`software_versions`, plus ``git_commit`` and ``git_dirty``
        (``None`` when hidsim is not imported from a git checkout).
    """
    info: dict[str, Any] = dict(software_versions())
    commit = git_commit()
    info["git_commit"] = commit["commit"] if commit else None
    info["git_dirty"] = commit["dirty"] if commit else None
    return info


def git_commit() -> dict[str, Any] | None:
    """The commit of the git checkout hidsim is imported from, if it is one.

    Returns:
        ``{"commit": sha, "dirty": bool}``, or ``None`` when hidsim is not
        imported from a git checkout (an installed wheel) or git is missing.
    """
    package = Path(__file__).resolve().parent
    try:
        top = _git(package, "rev-parse", "--show-toplevel")
        # An installed copy can sit inside some other repository (a venv in a checkout): only
        # trust the commit when this very package file is part of the repository's tree.
        if Path(top, "src", "hidsim").resolve() != package:
            return None
        commit = _git(package, "rev-parse", "HEAD")
        dirty = bool(_git(package, "--no-optional-locks", "status", "--porcelain",
                           "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty}


def _git(cwd: Path, *args: str) -> str:
    """Run a read-only git command and return its output.

    ``--no-optional-locks`` keeps ``git status`` from refreshing the index, so a run never
    holds ``index.lock`` while someone commits in the same checkout.
    """
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10,
                          check=True)
    return done.stdout.strip()
