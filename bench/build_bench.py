"""Build-time benchmark: our site against stock Pelican on the same synthetic Markdown.

Generates N items (a realistic mix: 70% statutory notices, 20% alerts, 10% bin changes,
with translations, updates and cancellations) and builds them twice, each in a fresh
process: with stock Pelican (no plugins, its default theme, its default pages and feeds),
with our settings, plugins and theme as ``make html`` builds (the search index included),
and the same without the search index. Reports wall time (median of --repeat runs,
interleaved), peak memory, our time as a multiple of stock Pelican's and our time per item
at each size (linear growth keeps it flat).

    python bench/build_bench.py --items 1000 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-28T12:00:00+00:00"
WARDS = [line.split(",")[0] for line in (ROOT / "data" / "wards.csv").read_text().splitlines()[1:]]
WORDS = [
    "council",
    "notice",
    "road",
    "closure",
    "residents",
    "planning",
    "application",
    "licence",
    "collection",
    "flood",
    "river",
    "warning",
    "district",
    "ward",
    "public",
    "health",
    "consultation",
    "order",
    "objection",
    "hearing",
    "street",
    "town",
    "parish",
    "application",
    "premises",
    "committee",
    "representation",
    "deadline",
]

STOCK_SETTINGS = """
PATH = {content!r}
OUTPUT_PATH = {output!r}
TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
ARTICLE_PATHS = ["alerts", "notices", "bin-changes"]
PAGE_PATHS = ["pages"]
ARTICLE_EXCLUDES = ["notices/documents"]
DELETE_OUTPUT_DIRECTORY = True
"""


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def body(rng: random.Random) -> str:
    paragraphs = [
        words(rng, rng.randint(30, 80)).capitalize() + "." for _ in range(rng.randint(2, 5))
    ]
    return "\n\n".join(paragraphs) + "\n\n- " + words(rng, 6) + "\n- " + words(rng, 5) + "\n"


def ward_list(rng: random.Random) -> str:
    return "all" if rng.random() < 0.15 else ", ".join(rng.sample(WARDS, rng.randint(1, 3)))


def generate(content: Path, items: int, seed: int = 2026) -> None:
    """Write ``items`` content files (plus the example pages) under ``content``."""
    rng = random.Random(seed)
    start = datetime(2022, 1, 1, 8, 0)
    days = (datetime(2026, 11, 27) - start).days
    for folder in ("alerts", "notices", "bin-changes", "pages"):
        (content / folder).mkdir(parents=True)
    for page in (ROOT / "content" / "pages").glob("*.md"):
        shutil.copy(page, content / "pages" / page.name)
    alerts: list[tuple[str, datetime]] = []
    superseded: set[str] = set()
    for n in range(items):
        # Office hours only: never the hour the October clock change repeats.
        date = start + timedelta(days=days * n // items, minutes=n % 540)
        stamp = date.strftime("%Y-%m-%d %H:%M")
        roll = rng.random()
        slug = f"item-{n:06d}"
        common = (
            f"Title: {words(rng, 6).capitalize()} {n}\nDate: {stamp}\n"
            f"Summary: {words(rng, 20).capitalize()}.\nWards: {ward_list(rng)}\nSlug: {slug}\n"
        )
        if roll < 0.7:
            respond = (date + timedelta(days=28)).strftime("%Y-%m-%d")
            text = common + (
                f"Notice-Type: {rng.choice(['planning', 'licensing', 'highways', 'other'])}\n"
                f"Reference: REF/{n:06d}\nLegislation: An Act 1990, section {n % 300}\n"
                f"Respond-By: {respond}\nRespond-To: planning@example.org\n"
            )
            folder = "notices"
        elif roll < 0.9:
            expires = (date + timedelta(days=rng.randint(1, 10))).strftime("%Y-%m-%d %H:%M")
            text = common + (
                f"Event: {rng.choice(['flooding', 'road-closure', 'public-health'])}\n"
                f"Severity: {rng.choice(['severe', 'moderate', 'minor'])}\nExpires: {expires}\n"
                "Polygon: 51.12,1.31 51.13,1.33 51.11,1.34 51.12,1.31\n"
            )
            earlier = [a for a in alerts[-5:] if a[0] not in superseded and a[1] < date]
            if earlier and rng.random() < 0.2:
                target = rng.choice(earlier)[0]
                superseded.add(target)
                text += f"{rng.choice(['Updates', 'Cancels'])}: {target}\n"
            alerts.append((slug, date))
            folder = "alerts"
        else:
            day = date.date() + timedelta(days=14)
            moves = "; ".join(
                f"{day + timedelta(days=i)} -> {day + timedelta(days=i + 1)}"
                for i in range(0, 10, 2)
            )
            text = common + f"Changes: {moves}\nServices: all\n"
            folder = "bin-changes"
        (content / folder / f"{slug}.md").write_text(text + "\n" + body(rng), encoding="utf-8")
        if folder == "notices" and rng.random() < 0.05:
            translated = text.replace(f"Slug: {slug}\n", f"Slug: {slug}\nLang: cy\n")
            (content / folder / f"{slug}.cy.md").write_text(translated + "\n" + body(rng))


def timed_build(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak resident memory (KiB) of one
    build in its own process. CPU time is steadier than wall time on a shared machine."""
    started = time.perf_counter()
    # Messages go to a file, not a pipe: a pipe nobody reads until the end fills up and
    # stops a build that warns a lot.
    with tempfile.TemporaryFile() as messages:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=messages
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if status != 0:
            messages.seek(0)
            errors = messages.read().decode(errors="replace")
            raise SystemExit(f"build failed: {' '.join(args)}\n{errors}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def bench(items: int, repeat: int, work: Path) -> dict[str, object]:
    content, ours_out, stock_out = work / "content", work / "ours", work / "stock"
    generate(content, items)
    stock_conf = work / "stockconf.py"
    stock_conf.write_text(STOCK_SETTINGS.format(content=str(content), output=str(stock_out)))
    env = {**os.environ, "NOTICEBOARD_NOW": NOW}
    python = sys.executable
    # "ours" is `make html`'s build, the search index (Pagefind) included; "no_index" the
    # same without it, which is what stock Pelican has a counterpart for. Neither has the
    # example's bin collection rounds: the synthetic bin changes are not made to fit them,
    # and bin days pages are timed by bin_days_bench.py.
    ours_cmd = [python, "-m", "pelican", str(content), "-s", "pelicanconf.py", "-o", str(ours_out)]
    ours_cmd += ["-q", "-e", "ROUNDS_FILE=null"]  # one -e: a second would replace it
    commands = {
        "stock": ([python, "-m", "pelican", "-s", str(stock_conf), "-q"], stock_out),
        "ours": (ours_cmd, ours_out),
        "no_index": ([*ours_cmd, "SEARCH_INDEX=false"], ours_out),
    }
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
    for _ in range(repeat):  # interleaved, so drift in the machine affects all alike
        for name, (command, _) in commands.items():
            runs[name].append(timed_build(command, env))
    result: dict[str, object] = {"items": items, "files": sum(1 for _ in content.rglob("*.md"))}
    for name, values in runs.items():
        result[f"{name}_seconds"] = round(statistics.median(v[0] for v in values), 2)
        result[f"{name}_cpu_seconds"] = round(statistics.median(v[1] for v in values), 2)
        result[f"{name}_peak_mib"] = round(max(v[2] for v in values) / 1024, 1)
        result[f"{name}_pages"] = sum(1 for _ in commands[name][1].rglob("*.html"))
    for name in ("ours", "no_index"):
        for measure in ("seconds", "cpu_seconds"):
            ours, stock = result[f"{name}_{measure}"], result[f"stock_{measure}"]
            result[f"ratio_{name}_{measure}"] = round(ours / stock, 2)  # type: ignore[operator]
        # Each pair of runs in turn: the spread says how noisy the machine was.
        pairs = [o[0] / s[0] for o, s in zip(runs[name], runs["stock"], strict=True)]
        result[f"ratio_{name}_range"] = [round(min(pairs), 2), round(max(pairs), 2)]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "build.json")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None,
        help="where content and output are written (default: /dev/shm, a RAM disk, so the "
        "numbers measure the build rather than the disk; pass a disk folder to include it)",
    )
    args = parser.parse_args()
    results = []
    for items in args.items:
        with tempfile.TemporaryDirectory(prefix="noticeboard-bench-", dir=args.work_dir) as work:
            results.append(bench(items, args.repeat, Path(work)))
            print(json.dumps(results[-1]), flush=True)
    for r in results:
        print(
            f"{r['items']} items: make html {r['ratio_ours_seconds']} x stock Pelican "
            f"(pairs {r['ratio_ours_range']}), without the search index "
            f"{r['ratio_no_index_seconds']} x; "
            f"{1000 * r['ours_seconds'] / r['items']:.2f} ms an item"  # type: ignore[operator]
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "work_dir": str(args.work_dir or tempfile.gettempdir()),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    args.out.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
