"""Ward boundaries import benchmark: a UK-sized synthetic ONS boundaries file (about 8,000
wards by default, in the WD24 field style, each outline of 1,200 points as the full
resolution files have), of which 17 wards in a 4 x 5 grid are the council's. Reports the
import's wall time and peak memory, run as `make wards` runs it: memory should follow the
council's wards, not the file.

    python bench/wards_bench.py --wards 8000
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from itertools import pairwise
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script, like the other benchmarks

from bench.measured import run_module  # noqa: E402

COUNCIL = "E07000108"
OURS = 17
SIZE = 0.02  # degrees: a ward about 1.4 km by 2.2 km


def ring(west: float, south: float, steps: int) -> str:
    """A square outline of 4 * steps points whose edges wiggle by where they are (so
    neighbours' shared edges are the same points), as GeoJSON coordinates."""

    def point(x: float, y: float) -> str:
        return f"[{x + 0.00002 * math.sin(y * 7000):.7f},{y + 0.00002 * math.sin(x * 7000):.7f}]"

    corners = [(west, south), (west + SIZE, south), (west + SIZE, south + SIZE),
               (west, south + SIZE), (west, south)]  # fmt: skip
    points = [
        point(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        for (x0, y0), (x1, y1) in pairwise(corners)
        for i in range(steps)
    ]
    return "[" + ",".join([*points, points[0]]) + "]"


def write_boundaries(out: TextIO, wards: int, steps: int) -> None:
    out.write('{"type":"FeatureCollection","features":[\n')
    for n in range(wards):
        ours = n < OURS
        west, south = (1.2 + SIZE * (n % 4), 51.1 + SIZE * (n // 4)) if ours else (
            -5 + SIZE * (n % 300), 50 + SIZE * (n // 300))  # fmt: skip
        properties = {
            "WD24CD": f"E0501{n:04d}",
            "WD24NM": f"Ward {n}",
            "WD24NMW": " ",
            "LAD24CD": COUNCIL if ours else f"E0600{n % 300:04d}",  # never ours
            "LAD24NM": "Dover" if ours else "Elsewhere",
        }
        geometry = f'{{"type":"Polygon","coordinates":[{ring(west, south, steps)}]}}'
        out.write(
            f'{"," if n else ""}{{"type":"Feature","properties":{json.dumps(properties)},'
            f'"geometry":{geometry}}}\n'
        )
    out.write("]}\n")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wards", type=int, default=8000)
    parser.add_argument("--points", type=int, default=1200, help="per outline")
    args = parser.parse_args()
    work_dir = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="wards-bench-", dir=work_dir) as work:
        work_path = Path(work)
        source = work_path / "Wards.geojson"
        with source.open("w", encoding="utf-8") as out:
            write_boundaries(out, args.wards, args.points // 4)
        wards = work_path / "wards.csv"
        wards.write_text("slug,name,gss\n" + "".join(f"w{i},Ward {i},\n" for i in range(OURS)))
        settings = work_path / "conf.py"
        settings.write_text(
            f"LOCAL_AUTHORITY_CODE = {COUNCIL!r}\nWARDS_FILE = {str(wards)!r}\n"
            f"WARD_OUTLINES_FILE = {str(work_path / 'outlines.geojson')!r}\n"
        )
        measured = run_module("noticeboard.import_wards", str(source), "--settings", str(settings))
        if measured is None:
            return 1
        result = {
            "wards": args.wards,
            "points_per_outline": args.points,
            "file_mib": round(source.stat().st_size / 2**20),
            "seconds": measured.seconds,
            "peak_mib": measured.peak_mib,
            "outlines_kib": round((work_path / "outlines.geojson").stat().st_size / 1024),
            "summary": measured.output,
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
