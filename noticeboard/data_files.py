"""The council's data files (the wards file, the postcode lookup, the ward outlines), as
the import commands write them: whole or not at all, so a failed import leaves them as
they were."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """``path`` replaced whole by ``text``, keeping its permissions (a new file gets the
    usual ones: readable by all, as a repository's files are)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False
    ) as handle:
        handle.write(text)
    os.chmod(handle.name, mode)
    os.replace(handle.name, path)


def with_codes(path: Path, codes: Mapping[str, str]) -> str:
    """The wards file's text with each ward's gss column filled in, the rest as it was."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        slug = (row.get("slug") or "").strip()
        writer.writerow({**row, "gss": codes.get(slug, row.get("gss") or "")})
    return out.getvalue()
