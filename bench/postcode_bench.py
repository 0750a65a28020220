"""Postcode import benchmark: a country-sized synthetic NSPL file (2.7 million rows by
default, in the 2025 header style), of which about 3,500 live postcodes are the council's.
Reports the import's wall time and peak memory, run as `make postcodes` runs it.

    python bench/postcode_bench.py --rows 2700000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script, like the other benchmarks

from bench.measured import run_module  # noqa: E402

HEADER = (
    "PCD7,PCD8,PCDS,DOINTR,DOTERM,USRTYPIND,OSEAST1M,OSNRTH1M,OSGRDIND,OA21CD,CTY25CD,"
    "CED25CD,LAD25CD,WD25CD,NPARK,PCON24CD,ITL25CD,LSOA21CD,MSOA21CD,LAT,LONG"
)
WARD_CODES = [f"E0501{n:04d}" for n in range(17)]
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def write_directory(path: Path, rows: int, council_rows: int) -> None:
    every = max(rows // council_rows, 1)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(rows):
            ours = n % every == 0
            k = n // every if ours else n  # ours: each of the council's rows its own postcode
            district = 16 + k // 4000 if ours else 1 + n % 99
            postcode = f"CT{district} {k % 10}{LETTERS[k // 10 % 20]}{LETTERS[k // 200 % 20]}"
            authority = "E07000108" if ours else f"E0600{n % 900:04d}"  # never ours
            ward = WARD_CODES[n % 17] if ours else f"E0509{n % 9999:04d}"
            terminated = "202001" if n % 23 == 0 else ""
            compact = postcode.replace(" ", "")
            out.write(
                f"{compact},{postcode},{postcode},199801,{terminated},0,612345,141234,1,"
                f"E00123456,E10000016,E58000001,{authority},{ward},E99999999,E14001193,"
                f"TLJ44,E01024001,E02004999,51.12345,1.31234\n"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=2_700_000)
    parser.add_argument("--council-rows", type=int, default=3_800)
    args = parser.parse_args()
    work_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="postcode-bench-", dir=work_dir) as work:
        work_path = Path(work)
        source = work_path / "NSPL.csv"
        write_directory(source, args.rows, args.council_rows)
        wards = work_path / "wards.csv"
        wards.write_text(
            "slug,name,gss\n" + "".join(f"w{i},Ward {i},{c}\n" for i, c in enumerate(WARD_CODES))
        )
        (work_path / "content").mkdir()
        settings = work_path / "conf.py"
        settings.write_text(
            f"from pelicanconf import *\nPATH = {str(work_path / 'content')!r}\n"
            f"WARDS_FILE = {str(wards)!r}\nPOSTCODES_FILE = {str(work_path / 'postcodes.json')!r}\n"
        )
        measured = run_module(
            "noticeboard.import_postcodes", str(source), "--settings", str(settings)
        )
        if measured is None:
            return 1
        result = {
            "rows": args.rows,
            "file_mib": round(source.stat().st_size / 2**20),
            "seconds": measured.seconds,
            "peak_mib": measured.peak_mib,
            "summary": measured.output,
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
