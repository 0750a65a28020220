"""``make postcodes NSPL=FILE``: import the ONS postcode directory into the site's data.

Streams the file (the whole country is about 2.7 million rows) keeping only live
postcodes (empty ``doterm``) of the council (LOCAL_AUTHORITY_CODE), maps their ONS ward
codes to the council's ward slugs, and writes POSTCODES_FILE, from which the site
publishes /api/v1/postcodes/{OUTWARD}.json. Memory grows with the council's postcodes,
not the file. A malformed or foreign file gets a clear error and changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pelican.settings import read_settings

from plugins.content_model.wards import Ward, codes_by_name, load_wards
from plugins.postcodes.nspl import Columns, DirectoryError, find_columns, normalise_postcode

from .data_files import with_codes, write_atomically

PROGRESS_EVERY = 100_000


@dataclass
class Imported:
    postcodes: dict[str, str] = field(default_factory=dict)  # 'CT16 1LU' -> ward slug
    codes: dict[str, str] = field(default_factory=dict)  # ward slug -> its ONS code
    # 'CT16 1LU' -> (latitude, longitude) of its centroid, to about 1 m, where the file
    # gives one: for alerts drawn as a Polygon (a resident inside it gets it)
    locations: dict[str, tuple[float, float]] = field(default_factory=dict)
    ward_vintage: str = ""
    rows: int = 0
    terminated: int = 0


def read_directory(
    lines: TextIO,
    authority: str,
    wards: Mapping[str, Ward],
    progress: TextIO | None = None,
    ward_names: Mapping[str, str] | None = None,
) -> Imported:
    """The council's live postcodes and their wards; DirectoryError if the file is unusable.
    ``ward_names`` (ONS code -> name, the directory's "Ward names and codes" file) places a
    postcode whose ward code the wards file lacks by its ward's name."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise DirectoryError("file: is empty") from None
    except csv.Error as error:
        raise DirectoryError(f"file: is not CSV ({error})") from None
    columns = find_columns(header)
    needed = max(
        columns.postcode,
        columns.terminated,
        columns.authority,
        columns.ward,
        columns.latitude or 0,
        columns.longitude or 0,
    )
    slug_of = {**codes_by_name(ward_names or {}, wards)}
    slug_of.update({ward.gss: slug for slug, ward in wards.items() if ward.gss})
    result = Imported(ward_vintage=columns.ward_vintage)
    unknown: Counter[str] = Counter()
    started = time.monotonic()
    try:
        for row in reader:
            result.rows += 1
            if len(row) <= needed:
                raise DirectoryError(
                    f"line {reader.line_num}: has {len(row)} fields, the header has {len(header)}; "
                    "the file is cut short or is not the NSPL/ONSPD CSV"
                )
            if row[columns.authority].strip() != authority:
                continue
            if row[columns.terminated].strip():
                result.terminated += 1
                continue
            postcode = normalise_postcode(row[columns.postcode])
            if postcode is None:
                raise DirectoryError(
                    f"line {reader.line_num}: pcds: '{row[columns.postcode]}' is not a postcode"
                )
            code = row[columns.ward].strip()
            if code in slug_of:
                result.postcodes[postcode] = slug_of[code]
                result.codes.setdefault(slug_of[code], code)
                if (location := location_of(row, columns)) is not None:
                    result.locations[postcode] = location
            else:
                unknown[code] += 1
            if progress and result.rows % PROGRESS_EVERY == 0:
                rate = result.rows / max(time.monotonic() - started, 1e-6)
                kept = len(result.postcodes)
                progress.write(f"\r{result.rows:,} rows read, {kept:,} kept ({rate:,.0f} rows/s)")
                progress.flush()
    except csv.Error as error:
        raise DirectoryError(f"line {reader.line_num}: {error}") from None
    if progress:
        progress.write("\n")
    if unknown:
        codes = ", ".join(f"{code} ({count} postcodes)" for code, count in unknown.most_common(5))
        raise DirectoryError(
            f"{columns.ward_vintage}: {len(unknown)} ward codes are not in the wards file's gss "
            f"column: {codes}; add them to the wards file, or give the directory's ward names "
            "file (make postcodes WARD_NAMES=...) to find them by name"
        )
    if not result.postcodes:
        raise DirectoryError(
            f"file: has no live postcodes in {authority} (LOCAL_AUTHORITY_CODE); "
            "is it the right council's code, or the right file?"
        )
    return result


def location_of(row: list[str], columns: Columns) -> tuple[float, float] | None:
    """A postcode's centroid, rounded to about 1 m; None where the file has none (ONS
    writes 99.999999 for a postcode it could not place)."""
    if columns.latitude is None or columns.longitude is None:
        return None
    try:
        lat, lon = float(row[columns.latitude]), float(row[columns.longitude])
    except (ValueError, IndexError):
        return None
    if not (49 <= lat <= 61 and -9 <= lon <= 2):  # not in the United Kingdom
        return None
    return round(lat, 5), round(lon, 5)


def lookup_document(imported: Imported, authority: str, source: str) -> dict[str, object]:
    return {
        "source": source,
        "local_authority_code": authority,
        "ward_vintage": imported.ward_vintage,
        "postcodes": dict(sorted(imported.postcodes.items())),
        "locations": {p: list(imported.locations[p]) for p in sorted(imported.locations)},
    }


def read_ward_names(path: Path) -> dict[str, str]:
    """ONS ward code -> name from the directory's 'Ward names and codes' CSV (columns like
    WD25CD and WD25NM, any year)."""
    with open_csv(path) as lines:
        reader = csv.DictReader(lines)
        columns = reader.fieldnames or []
        code = next((c for c in columns if re.match(r"^WD\d\dCD$", c.strip(), re.I)), None)
        name = next((c for c in columns if re.match(r"^WD\d\dNM$", c.strip(), re.I)), None)
        if code is None or name is None:
            raise DirectoryError(
                f"{path.name}: columns: no WDnnCD and WDnnNM; give the directory's 'Ward "
                "names and codes' CSV"
            )
        return {row[code].strip(): row[name].strip() for row in reader if row.get(code)}


def open_csv(path: Path) -> TextIO:
    """The CSV as text; ONS files are UTF-8 (older ones Latin-1, which is tried next)."""
    raw = path.open("rb")
    start = raw.read(4096)
    raw.seek(0)
    try:
        start.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "latin-1"
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("nspl", type=Path, help="the NSPL or ONSPD CSV (unzipped)")
    parser.add_argument("--settings", default="pelicanconf.py")
    parser.add_argument(
        "--ward-names",
        type=Path,
        help="the directory's 'Ward names and codes' CSV: finds wards without a code by name",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    settings = read_settings(args.settings)
    authority, target = settings["LOCAL_AUTHORITY_CODE"], Path(settings["POSTCODES_FILE"])
    wards_file = Path(settings["WARDS_FILE"])
    if args.ward_names and not args.ward_names.is_file():
        print(f"{args.ward_names}: file: not found (WARD_NAMES)", file=sys.stderr)
        return 1
    try:
        names = read_ward_names(args.ward_names) if args.ward_names else None
        wards = load_wards(wards_file)
        with open_csv(args.nspl) as lines:
            imported = read_directory(
                lines, authority, wards, sys.stderr if sys.stderr.isatty() else None, names
            )
    except FileNotFoundError:
        print(f"{args.nspl}: file: not found", file=sys.stderr)
        return 1
    except (DirectoryError, ValueError) as error:
        print(f"{args.nspl}: {error}; nothing was changed.", file=sys.stderr)
        return 1
    document = lookup_document(imported, authority, args.nspl.name)
    write_atomically(target, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    found = {slug: code for slug, code in imported.codes.items() if not wards[slug].gss}
    if found:  # codes found by name: into the wards file, for CAP and the next import
        write_atomically(wards_file, with_codes(wards_file, found))
    outwards = len({p.split(" ")[0] for p in imported.postcodes})
    print(
        f"postcodes: {len(imported.postcodes):,} live postcodes in {outwards} outward codes "
        f"({imported.ward_vintage} wards) from {imported.rows:,} rows; "
        f"{imported.terminated:,} terminated skipped; wrote {target}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
