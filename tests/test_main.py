"""The `reader` entry point (reader/__main__.py): what it sets up before the command runs."""

from __future__ import annotations

import os
import subprocess
import sys

import reader.__main__ as entry
import reader.cli


def _environment_seen_by_the_command(monkeypatch) -> list[str | None]:
    seen: list[str | None] = []
    monkeypatch.setattr(
        reader.cli, "main", lambda: seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
    )
    entry.main()
    return seen


def test_the_command_runs_with_one_blas_thread(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert _environment_seen_by_the_command(monkeypatch) == ["1"]


def test_a_blas_thread_count_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert _environment_seen_by_the_command(monkeypatch) == ["3"]


def test_numpy_under_the_command_starts_no_blas_threads(tmp_path):
    """The setting reaches OpenBLAS: loaded under the command, numpy adds no thread to the
    process (a thread per core without it, on a machine with more than one)."""
    script = (
        "import os, sys, runpy\n"
        "import reader.cli\n"
        "def command():\n"
        "    before = len(os.listdir('/proc/self/task'))\n"
        "    import numpy\n"
        "    print(len(os.listdir('/proc/self/task')) - before)\n"
        "reader.cli.main = command\n"
        "from reader.__main__ import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "0"
