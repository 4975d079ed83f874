"""The benchmark script runs end to end on a tiny ledger (a smoke test: no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_runs_on_a_tiny_ledger_and_writes_its_table(tmp_path):
    out = tmp_path / "PERFORMANCE.md"
    out.write_text("# Performance\n\nHand-written notes stay.\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "1k", "--quarter", "1k",
                           "--import-rows", "1k", "--postgres", "1k", "--runs", "1", "--work", str(tmp_path / "work"), "--write", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "Hand-written notes stay." in text and "old" not in text
    for command in ("| --help | 1k |", "| warn | 1k |", "| list --open | 1k |", "| show | 1k |",
                    "| register | 1k |", "| verify | 1k |", "| backup | 1k |", "| report --quarter (1k complaints) | 1k |",
                    "| import (1k-row workbook) | 1k |", "| warn (PostgreSQL) | 1k |", "| show (PostgreSQL) | 1k |",
                    "| register (PostgreSQL) | 1k |", "| report --quarter (1k complaints, PostgreSQL) | 1k |",
                    "registrations/s (SQLite) | 8×25 |", "registrations/s (PostgreSQL) | 8×25 |"):
        assert command in text, command
    assert "Machine:" in text


def test_the_fitted_exponent_of_a_scale_curve():
    sys.path.insert(0, str(ROOT))
    from bench.run import Measure, curves, exponent

    assert round(exponent([(1_000, 0.5), (10_000, 5.0), (100_000, 50.0)]), 6) == 1.0  # linear
    assert round(exponent([(10_000, 0.4), (1_000_000, 0.4)]), 6) == 0.0  # flat
    assert round(exponent([(1_000, 1.0), (100_000, 10_000.0)]), 6) == 2.0  # quadratic
    text = curves([Measure("verify", "10k", 1.0, 50), Measure("verify", "100k", 10.0, 50),
                   Measure("verify", "1m", 200.0, 50), Measure("warn", "10k", 0.40, 50),
                   Measure("warn", "1m", 0.44, 50)])
    assert "| verify | 10,000 → 100,000 → 1,000,000 complaints in the ledger | 1.00 → 10.00 → 200.00 | 1.15 | ≤ 1.1 | MISSES |" in text
    assert "| warn | 10,000 → 1,000,000 complaints in the ledger (3,000 open in each) | 0.40 → 0.44 | 0.02 | ≤ 0.1 | meets |" in text
