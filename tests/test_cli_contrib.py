"""Shell completion, help texts, and the files in contrib/ (systemd units, crontab line)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

from tests.clitools import ROOT, Reader, feed_toml

CONTRIB = ROOT / "contrib"
COMMANDS = [
    "refresh", "list", "show", "feeds", "tag", "read", "unread", "star", "unstar",
    "import", "export", "add", "remove", "digest", "prune", "reindex", "doctor",
]  # fmt: skip


def complete(env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reader"],
        env=Reader(tmp_path).env() | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _reader_completion reader"),
        ("zsh", "#compdef reader"),
        ("fish", "complete --no-files --command reader"),
    ],
)
def test_completion_scripts_are_produced(tmp_path, shell, marker):
    done = complete({"_READER_COMPLETE": f"{shell}_source"}, tmp_path)
    assert done.returncode == 0 and marker in done.stdout, done.stdout + done.stderr


def test_completion_knows_commands_sorts_and_feed_names(tmp_path):
    config = tmp_path / "feeds.toml"
    config.write_text(
        feed_toml(
            [
                {"url": "https://a.example/f", "name": "OpenAI News"},
                {"url": "https://b.example/f", "name": "Other"},
            ]
        )
    )
    cases = {
        "reader re": {"read", "refresh", "reindex", "remove"},
        "reader list --sort i": {"importance"},
        f"reader --config {config} remove Op": {"OpenAI News"},
        f"reader --config {config} refresh --feed O": {"OpenAI News", "Other"},
    }
    for words, expected in cases.items():
        env = {
            "_READER_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - 1),
        }
        done = complete(env, tmp_path)
        got = {line.split(",", 1)[1] for line in done.stdout.splitlines() if line}
        assert got == expected, (words, done.stdout, done.stderr)


def test_help_of_every_command(tmp_path):
    reader = Reader(tmp_path)
    top = reader("--help")
    assert top.code == 0 and "Exit codes" in top.out and "_READER_COMPLETE=bash_source" in top.out
    for command in COMMANDS:
        assert command in top.out
        run = reader(command, "--help")
        assert run.code == 0 and run.out.startswith(f"Usage: reader {command}"), (command, run.err)


def test_systemd_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    reader_bin = shutil.which("reader", path=str(ROOT / ".venv" / "bin")) or sys.executable
    for name in ("halflife-refresh.service", "halflife-refresh.timer"):
        text = (CONTRIB / "systemd" / name).read_text()
        (tmp_path / name).write_text(text.replace("%h/.local/bin/reader", reader_bin))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    argv = [
        analyze,
        "--user",
        "verify",
        str(tmp_path / "halflife-refresh.service"),
        str(tmp_path / "halflife-refresh.timer"),
    ]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=os.environ | {"XDG_RUNTIME_DIR": str(runtime)},
        timeout=60,
    )
    if "Failed to initialize manager" in done.stderr:  # no user manager here: system mode
        done = subprocess.run([analyze, *argv[2:]], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    service = (CONTRIB / "systemd" / "halflife-refresh.service").read_text()
    assert "ExecStart=%h/.local/bin/reader refresh --quiet" in service
    assert "Type=oneshot" in service


def test_the_crontab_line_runs(tmp_path):
    """The crontab line's command, by hand: $HOME/.local/bin/reader refresh --quiet."""
    lines = [
        line
        for line in (CONTRIB / "cron" / "halflife.crontab").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert re.fullmatch(r"\*/15", fields[0]) and fields[1:5] == ["*", "*", "*", "*"]
    command = fields[5]
    assert command == "$HOME/.local/bin/reader refresh --quiet"
    home = tmp_path / "home"
    shim = home / ".local" / "bin" / "reader"
    shim.parent.mkdir(parents=True)
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reader "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    config = home / ".config" / "halflife" / "feeds.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        feed_toml([{"url": (ROOT / "examples" / "sample-lab.xml").as_uri(), "name": "Lab"}])
    )
    env = Reader(tmp_path).env() | {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
    }
    done = subprocess.run(
        ["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", (
        done.stdout + done.stderr
    )
    assert (home / ".local" / "share" / "halflife" / "store" / "catalog.json").exists()
    config.write_text(feed_toml([{"url": "http://127.0.0.1:9/refused.xml", "name": "Down"}]))
    failing = subprocess.run(
        ["/bin/sh", "-c", command + " --force"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failing.returncode == 1 and failing.stdout.startswith("error Down: ")  # cron mails this
