"""Running ``reader`` as a subprocess against a config and a store in a temp dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def feed_toml(feeds: list[dict], **sections: dict) -> str:
    """A feeds.toml text from python values."""
    lines = []
    for name, table in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
        lines.append("")
    for feed in feeds:
        lines.append("[[feed]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in feed.items()]
        lines.append("")
    return "\n".join(lines)


class Reader:
    """``reader --config X --db Y ...`` as a subprocess."""

    def __init__(self, tmp_path: Path, config_text: str | None = None) -> None:
        self.config = tmp_path / "feeds.toml"
        self.db = tmp_path / "store"
        if config_text is not None:
            self.config.write_text(config_text, encoding="utf-8")

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "reader",
            "--config",
            str(self.config),
            "--db",
            str(self.db),
            *args,
        ]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.setdefault("NO_COLOR", "1")
        return env

    def __call__(self, *args: str, timeout: float = 120, input: str | None = None) -> Run:
        done = subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            input=input,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def start(self, *args: str, **popen) -> subprocess.Popen:
        """Started, not waited for; ``popen`` adds Popen options."""
        return subprocess.Popen(
            self.argv(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
            **popen,
        )
