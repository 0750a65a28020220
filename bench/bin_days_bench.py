"""Bin days benchmark: what a district's rounds add to a build.

A synthetic district: 4,000 postcodes in 17 wards, 60 rounds (each ward's weekday round
for rubbish, recycling and food, with a few hundred postcodes of each ward on another
round, and garden waste by sector), ten bank-holiday changes over the year. The same
content is built with and without the rounds file, each build `--runs` times; the best
time of each is reported, with the size of what bin days add to the output.

    python bench/bin_days_bench.py --runs 3
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script, like the other benchmarks

from pelican import Pelican  # noqa: E402
from pelican.settings import read_settings  # noqa: E402

NOW = "2026-11-28T12:00:00+00:00"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
BANK_HOLIDAYS = [
    date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2027, 3, 26),
    date(2027, 3, 29), date(2027, 5, 3), date(2027, 5, 31), date(2027, 8, 30),
    date(2027, 12, 27), date(2027, 12, 28),
]  # fmt: skip


def wards() -> list[str]:
    with (ROOT / "data" / "wards.csv").open(encoding="utf-8") as handle:
        return [row["slug"] for row in csv.DictReader(handle)]


def write_data(work: Path, postcodes: int) -> tuple[Path, Path]:
    slugs = wards()
    lookup = {}
    for n in range(postcodes):
        sector = f"CT{16 + n // 1000} {n // 100 % 10}"
        lookup[f"{sector}{LETTERS[n // 20 % 20]}{LETTERS[n % 20]}"] = slugs[n % len(slugs)]
    postcodes_file = work / "postcodes.json"
    postcodes_file.write_text(json.dumps({"ward_vintage": "WD25", "postcodes": lookup}))
    rows = []
    anchor = date(2026, 1, 5)
    for i, ward in enumerate(slugs):
        day = anchor + timedelta(days=i % 5)
        other = anchor + timedelta(days=(i + 2) % 5)
        streets = [p for p, w in lookup.items() if w == ward][::2][:120]
        for slug, when, covers in (
            (f"{ward}-main", day, f"ward:{ward}"),
            (f"{ward}-streets", other, ";".join(streets)),
        ):
            name = f"{ward.replace('-', ' ').title()} {WEEKDAYS[when.weekday()].title()}"
            rows += [
                (slug, name, "refuse", WEEKDAYS[when.weekday()], 2, when, covers),
                (slug, name, "recycling", WEEKDAYS[when.weekday()], 2, when + timedelta(7), covers),
                (slug, name, "food", WEEKDAYS[when.weekday()], 1, when, covers),
            ]
    sectors = sorted({p[:-2] for p in lookup})
    for i, start in enumerate(range(0, len(sectors), 2)):
        day = anchor + timedelta(days=i % 5)
        covers = ";".join(sectors[start : start + 2])
        rows.append((f"garden-{i}", f"Garden {i}", "garden", WEEKDAYS[i % 5], 2, day, covers))
    rounds_file = work / "rounds.csv"
    with rounds_file.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["round", "name", "service", "weekday", "every", "anchor", "covers"])
        out.writerows(rows)
    return rounds_file, postcodes_file


def write_content(content: Path) -> None:
    folder = content / "bin-changes"
    folder.mkdir(parents=True)
    for n, holiday in enumerate(BANK_HOLIDAYS):
        moves = "; ".join(
            f"{holiday + timedelta(d)} -> {holiday + timedelta(d + 1)}"
            for d in range(5 - holiday.weekday())
        )
        folder.joinpath(f"holiday-{n}.md").write_text(
            f"Title: Bank holiday collections {n}\nDate: 2026-11-20 09:00\n"
            f"Summary: Collections move by a day.\nWards: all\nChanges: {moves}\n"
            "Reason: Bank holiday\n\nCollections move by a day.\n",
            encoding="utf-8",
        )


def best_build(work: Path, runs: int, **override: str) -> float:
    best = float("inf")
    for _ in range(runs):
        output = work / "output"
        shutil.rmtree(output, ignore_errors=True)
        settings = read_settings(
            str(ROOT / "pelicanconf.py"),
            override={
                "PATH": str(work / "content"),
                "OUTPUT_PATH": str(output),
                "NOTICEBOARD_NOW": NOW,
                "SEARCH_INDEX": False,
                "WARD_OUTLINES_FILE": str(work / "none.geojson"),
                **override,
            },
        )
        started = time.perf_counter()
        Pelican(settings).run()
        best = min(best, time.perf_counter() - started)
    return best


def size_of(paths: list[Path]) -> int:
    return sum(f.stat().st_size for p in paths for f in ([p] if p.is_file() else p.rglob("*")))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postcodes", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bin-days-bench-") as temporary:
        work = Path(temporary)
        rounds_file, postcodes_file = write_data(work, args.postcodes)
        write_content(work / "content")
        common = {"POSTCODES_FILE": str(postcodes_file)}
        without = best_build(work, args.runs, ROUNDS_FILE=str(work / "none.csv"), **common)
        with_rounds = best_build(work, args.runs, ROUNDS_FILE=str(rounds_file), **common)
        output = work / "output"
        pages = [output / "bin-days", *output.glob("*/bin-days")]  # in each language
        added = size_of([*pages, output / "api" / "v1" / "rounds"])
        rounds = len(list((output / "api" / "v1" / "rounds").glob("*.json")))
        print(
            json.dumps(
                {
                    "postcodes": args.postcodes,
                    "rounds": rounds,
                    "bin_changes": len(BANK_HOLIDAYS),
                    "pages": sum(1 for p in pages for _ in p.rglob("index.html")),
                    "build_without_rounds_s": round(without, 2),
                    "build_with_rounds_s": round(with_rounds, 2),
                    "added_s": round(with_rounds - without, 2),
                    "bin_days_output_mib": round(added / 2**20, 1),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
