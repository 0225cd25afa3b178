"""Refresh benchmark: the shared corpus served on 127.0.0.1, cold and all-304, with latency.

    .venv/bin/python bench/refresh.py [--delays 0,0.2] [--hosts 16] [--runs 1]

Serves every file of ../shared/feeds/real/ over HTTP with ETag/304 support, spread over
``--hosts`` loopback addresses (127.0.0.1, 127.0.0.2, ...: Linux routes all of 127/8 to
lo) so the per-host limit behaves as with real publishers; ``--hosts 1`` puts every feed
on one host, as newsboat's runs were measured. Each request waits ``delay`` seconds
before the answer, to simulate network latency.

For each delay it times, as subprocesses (start-up and imports included):

- cold: `reader refresh` into an empty store;
- warm: `reader refresh --force` again: every feed answers 304.

When newsboat is installed (`apt-get install newsboat`) it runs the same feeds for
comparison: cold, then its second and third runs (newsboat only sends conditional
requests from its third run on). The column is skipped when it is not installed.

``--cpu`` (Linux) adds one more cold refresh whose processes are watched in /proc every
50 ms: the CPU of the main process, the forkserver and each parse worker. A cold
refresh is CPU-bound on two cores, so that split says where a change must cut; a
benchmark of the workers' code in one process can mislead (its caches are not theirs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.feedserver import FeedServer, Route  # noqa: E402

CORPUS = ROOT.parent / "shared" / "feeds" / "real"


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix not in (".tsv", ".md"))


def serve(files: list[Path], hosts: int, delay: float) -> tuple[list[FeedServer], list[str]]:
    servers = [FeedServer(host=f"127.0.0.{i + 1}", delay=delay).__enter__() for i in range(hosts)]
    urls = []
    for index, path in enumerate(files):
        server = servers[index % hosts]
        urls.append(server.route(f"/{path.name}", Route(body=path.read_bytes(), etag=True)))
    return servers, urls


def write_config(directory: Path, urls: list[str], concurrency: int, per_host: int) -> Path:
    lines = [
        "[fetch]",
        f"concurrency = {concurrency}",
        f"per_host = {per_host}",
        "timeout = 30",
        "",
    ]
    for url in urls:
        lines += ["[[feed]]", f"url = {json.dumps(url)}", 'topic = "Corpus"', ""]
    path = directory / "feeds.toml"
    path.write_text("\n".join(lines))
    return path


#: As on a user's machine, Python caches bytecode: a sandbox's PYTHONDONTWRITEBYTECODE
#: would have every run compile halflife's modules again (~0.1 s of each 304 pass).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{argv[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def run_reader(config: Path, store: Path, *extra: str) -> tuple[float, str]:
    reader = str(Path(sys.executable).parent / "reader")
    return timed([reader, "--config", str(config), "--db", str(store), "refresh", *extra])


def count_articles(config: Path, store: Path) -> int:
    reader = str(Path(sys.executable).parent / "reader")
    out = subprocess.run(
        [reader, "--config", str(config), "--db", str(store), "list", "--jsonl"],
        capture_output=True,
        text=True,
    ).stdout
    return len(out.splitlines())


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _parent_and_cpu(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process, from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_by_process(argv: list[str]) -> tuple[float, dict[str, list[float]]]:
    """Run ``argv``; its wall time and the CPU seconds of each of its processes, by role
    (each process's last reading before it exited: a little is lost at the end)."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    seen: dict[int, tuple[int, float, str]] = {}  # pid -> parent, CPU seconds, command
    while process.poll() is None:
        table = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and (found := _parent_and_cpu(int(entry))) is not None:
                table[int(entry)] = found
        family, grown = {process.pid}, True
        while grown:  # the descendants, whatever order /proc lists them in
            grown = False
            for pid, (parent, _cpu) in table.items():
                if parent in family and pid not in family:
                    family.add(pid)
                    grown = True
        for pid in family & table.keys():
            parent, cpu = table[pid]
            command = seen[pid][2] if pid in seen else _command_line(pid)
            seen[pid] = (parent, cpu, command)
        time.sleep(0.05)
    wall = time.perf_counter() - started
    roles: dict[str, list[float]] = {"main": [], "forkserver": [], "workers": [], "other": []}
    servers = {pid for pid, (_parent, _cpu, cmd) in seen.items() if "forkserver" in cmd}
    for pid, (parent, cpu, _cmdline) in seen.items():
        if pid == process.pid:
            roles["main"].append(cpu)
        elif pid in servers and parent == process.pid:
            roles["forkserver"].append(cpu)
        elif parent in servers:
            roles["workers"].append(cpu)
        else:  # multiprocessing's resource tracker
            roles["other"].append(cpu)
    return wall, roles


def run_newsboat(directory: Path, urls: list[str]) -> list[float]:
    newsboat = shutil.which("newsboat")
    assert newsboat
    (directory / "urls").write_text("\n".join(urls) + "\n")
    (directory / "config").write_text(
        "reload-threads 16\ndownload-retries 1\ndownload-timeout 30\n"
    )
    argv = [
        newsboat,
        "-u",
        str(directory / "urls"),
        "-c",
        str(directory / "cache.db"),
        "-C",
        str(directory / "config"),
        "-x",
        "reload",
    ]
    return [timed(argv)[0] for _ in range(3)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--delays", default="0,0.2", help="seconds of latency per request")
    parser.add_argument(
        "--hosts", type=int, default=16, help="loopback addresses to spread feeds on"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--per-host", type=int, default=None, help="default: 4, or concurrency with --hosts 1"
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="repeat each measurement, keep the best"
    )
    parser.add_argument(
        "--cpu", action="store_true", help="one more cold refresh: CPU seconds by process"
    )
    args = parser.parse_args()
    per_host = args.per_host or (args.concurrency if args.hosts == 1 else 4)
    files = corpus_files()
    size = sum(p.stat().st_size for p in files)
    print(
        f"corpus: {len(files)} files, {size / 1e6:.1f} MB; {args.hosts} host(s), "
        f"concurrency {args.concurrency}, per host {per_host}"
    )
    has_newsboat = shutil.which("newsboat") is not None
    header = f"{'delay':>6} {'run':<6} {'seconds':>8} {'feeds/s':>8} {'articles/s':>10}"
    if has_newsboat:
        header += f"  {'newsboat':>9}"
    print(header)
    for delay in (float(d) for d in args.delays.split(",")):
        servers, urls = serve(files, args.hosts, delay)
        try:
            newsboat_times = None
            if has_newsboat:
                with tempfile.TemporaryDirectory() as nb_dir:
                    newsboat_times = run_newsboat(Path(nb_dir), urls)
            best_cold = best_warm = float("inf")
            articles = 0
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as tmp:
                    directory = Path(tmp)
                    config = write_config(directory, urls, args.concurrency, per_host)
                    store = directory / "store"
                    cold, cold_line = run_reader(config, store)
                    warm, warm_line = run_reader(config, store, "--force")
                    articles = count_articles(config, store)
                    best_cold, best_warm = min(best_cold, cold), min(best_warm, warm)
            for label, seconds, n_articles, nb in (
                ("cold", best_cold, articles, newsboat_times[0] if newsboat_times else None),
                ("304", best_warm, 0, newsboat_times[2] if newsboat_times else None),
            ):
                line = (
                    f"{delay:>6.2f} {label:<6} {seconds:>8.2f} {len(files) / seconds:>8.1f} "
                    f"{n_articles / seconds:>10.1f}"
                )
                if has_newsboat:
                    line += f"  {nb:>8.2f}s"
                print(line, flush=True)
            print(f"{'':>6} cold: {cold_line}\n{'':>6} 304:  {warm_line}")
            if args.cpu:
                with tempfile.TemporaryDirectory() as tmp:
                    directory = Path(tmp)
                    config = write_config(directory, urls, args.concurrency, per_host)
                    reader = str(Path(sys.executable).parent / "reader")
                    argv = [reader, "--config", str(config), "--db", str(directory / "s")]
                    wall, roles = cpu_by_process([*argv, "refresh"])
                workers = " + ".join(f"{cpu:.2f}" for cpu in sorted(roles["workers"]))
                total = sum(sum(cpus) for cpus in roles.values())
                print(
                    f"{'':>6} cold CPU: main {sum(roles['main']):.2f} s, forkserver "
                    f"{sum(roles['forkserver']):.2f} s, workers {workers or '-'} s, "
                    f"other {sum(roles['other']):.2f} s; "
                    f"{total:.1f} s in {wall:.2f} s ({total / wall:.2f} cores)"
                )
        finally:
            for server in servers:
                server.__exit__(None, None, None)


if __name__ == "__main__":
    main()
