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
                    "| import (1k-row workbook) | 1k |", "| warn (PostgreSQL) | 1k |",
                    "| register (PostgreSQL) | 1k |", "| report --quarter (1k complaints, PostgreSQL) | 1k |",
                    "registrations/s (SQLite) | 8×25 |", "registrations/s (PostgreSQL) | 8×25 |"):
        assert command in text, command
    assert "Machine:" in text
