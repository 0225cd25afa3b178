"""Store faults: kill -9 during writes, a full disk, corrupt files, a held lock.

The promise: the store always loads, with the old or the new content and never a torn
file; no article is stored twice; nothing the reader marked is lost; a corrupt file is
reported in one line (its path, its backup, `reader doctor`) and never overwritten.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import threading
import time

import pytest
from filelock import FileLock

from reader.models import StateChange, UserState
from reader.store import Store, backup_path
from tests.clitools import feed_toml
from tests.feedserver import FeedServer, Route
from tests.storefaults import (
    FaultReader,
    build_store,
    check_store,
    feed_version,
    kill_group,
    mark,
    reap,
)

OLD_ARTICLES = 5500  # segments 1-2 full, 1,500 in the open segment 3: writes take a while


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """A big store, built once; each test copies it."""
    path = tmp_path_factory.mktemp("big") / "store"
    build_store(path, OLD_ARTICLES)
    return path


@pytest.fixture
def news(tmp_path, big_store):
    """The big store copied, two feeds served, marks on old articles."""
    import shutil

    shutil.copytree(big_store, tmp_path / "store")
    with FeedServer() as server:
        server.route("/news.xml", Route(body=feed_version(0)))
        server.route("/other.xml", Route(body=feed_version(0, new=3, fixed=0, changing=0)))
        feeds = [
            {"url": server.url("/news.xml"), "name": "news"},
            {"url": server.url("/other.xml"), "name": "other"},
        ]
        reader = FaultReader(tmp_path, feed_toml(feeds, fetch={"timeout": 10}))
        marks: dict[str, UserState] = {}
        for i in range(0, OLD_ARTICLES, 250):
            mark(
                reader.db, marks, f"0ld{i:09x}", add_tags=("kept",), read=True, starred=i % 500 == 0
            )
        yield reader, server, marks


def _publish(server: FeedServer, version: int) -> None:
    server.route("/news.xml", Route(body=feed_version(version)))
    server.route("/other.xml", Route(body=feed_version(version, new=3, fixed=0, changing=0)))


def _list_ids(reader) -> list[str]:
    run = reader("list", "--json")
    assert run.code == 0, run.err
    ids = [card["id"] for card in json.loads(run.out)]
    assert len(ids) == len(set(ids)), "an article is listed twice"
    return ids


# where a refresh writes, in order: bodies, index, catalog (the commit point), feeds
KILL_POINTS = [
    "kill-before:000003.body.json",
    "kill-during:000003.body.json",
    "kill-after:000003.body.json",
    "kill-during:000003.json",
    "kill-during:catalog.json",
    "kill-after:catalog.json",
    "kill-during:feeds.json",
]


@pytest.mark.slow
def test_kill_9_at_every_write_of_a_refresh(news):
    """Deterministic: the refresh kills itself (SIGKILL) at each point of its commit;
    then cron runs it again, the feed unchanged, and everything is there once."""
    reader, server, marks = news
    committed = check_store(reader.db, marks).catalog_ids
    for version, fault in enumerate(KILL_POINTS, start=1):
        _publish(server, version)
        code, _out, err = reap(reader.spawn("refresh", "--force", fault=fault))
        assert code == -9, (fault, code, err)
        snapshot = check_store(reader.db, marks)
        # the catalog is the old one or the new one: nothing committed is ever lost
        assert committed <= snapshot.catalog_ids, fault
        assert set(_list_ids(reader)) >= snapshot.catalog_ids, fault
        # the next run, same feed: completes, and the store is whole again
        run = reader("refresh", "--force")
        assert run.code == 0, (fault, run.out + run.err)
        snapshot = check_store(reader.db, marks)
        assert set(_list_ids(reader)) == snapshot.catalog_ids == set(snapshot.segment_ids), fault
        titles = {card["title"] for card in reader("list", "--json").json()}
        assert {f"v{version} new {i}" for i in range(30)} <= titles, fault
        committed = snapshot.catalog_ids
        fresh = sorted(committed - set(marks) - {f"0ld{i:09x}" for i in range(OLD_ARTICLES)})
        mark(reader.db, marks, fresh[0], add_tags=(f"v{version}",), starred=True)


def _pump_stderr(process) -> tuple[list[str], threading.Event, threading.Thread]:
    """Read a spawned refresh's stderr as it comes; the event is set at its first
    traced file replacement (``write NAME``). The thread ends at the pipe's end."""
    lines: list[str] = []
    committing = threading.Event()

    def pump() -> None:
        for line in process.stderr:
            lines.append(line)
            if line.startswith("write "):
                committing.set()

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return lines, committing, thread


@pytest.mark.slow
def test_kill_9_at_random_moments_of_many_refreshes(news):
    """kill -9 from outside at a random moment, 20 times; writes slowed by the shim so
    that many kills land inside the commit, and traced to tell where each one landed."""
    reader, server, marks = news
    rng = random.Random(20240601)
    committed = check_store(reader.db, marks).catalog_ids
    landed = {"before the commit": 0, "inside the commit": 0, "after the commit": 0}
    # one undisturbed run to learn how long a refresh takes here
    _publish(server, 1000)
    started = time.monotonic()
    code, _out, err = reap(reader.spawn("refresh", "--force", fault="slow:0.08:trace"))
    duration = time.monotonic() - started
    assert code == 0, err
    version = 1001
    for iteration in range(20):
        # the feed moves on only once a refresh has completed: a killed one is redone by
        # the next run over the same news, as cron would (see the test below for
        # what happens when it is not)
        _publish(server, version)
        process = reader.spawn("refresh", "--force", fault="slow:0.08:trace")
        err_lines, committing, pump = _pump_stderr(process)
        if iteration % 2:
            # anywhere in the run: start-up, fetch, parse, enrichment or the commit
            time.sleep(rng.uniform(0.3, duration * 1.1))
        else:
            # inside the commit (the first file replacement has begun), whatever the
            # machine's load makes of the time before it: 5 slowed files take >= 0.4 s
            committing.wait(timeout=max(duration * 3, 30))
            time.sleep(rng.uniform(0.0, 0.35))
        process.kill()
        try:
            process.wait(timeout=60)
        finally:
            kill_group(process)  # its orphaned parse workers hold the pipes open
        pump.join(timeout=30)
        process.stdout.close()
        code, err = process.returncode, "".join(err_lines)
        writes = [line for line in err.splitlines() if line.startswith(("write ", "wrote "))]
        if code == 0:
            version += 1
        if not writes:
            landed["before the commit"] += 1
        elif code == -9 and (writes[-1].startswith("write ") or "feeds.json" not in writes[-1]):
            landed["inside the commit"] += 1
        else:
            landed["after the commit"] += 1
        snapshot = check_store(reader.db, marks)
        assert committed <= snapshot.catalog_ids, iteration
        committed = snapshot.catalog_ids
        if iteration % 5 == 4:
            assert set(_list_ids(reader)) >= snapshot.catalog_ids
        fresh = sorted(snapshot.catalog_ids - set(marks))
        if fresh:
            mark(reader.db, marks, rng.choice(fresh), add_tags=(f"r{iteration}",), starred=True)
    assert landed["inside the commit"] >= 3, landed  # the test did hit writes in progress
    run = reader("refresh", "--force")
    assert run.code == 0, run.out + run.err
    snapshot = check_store(reader.db, marks)
    assert set(_list_ids(reader)) == snapshot.catalog_ids


def test_a_refresh_after_a_killed_one_succeeds_when_the_feed_moved_on(news):
    reader, server, marks = news
    _publish(server, 1)
    code, _out, err = reap(reader.spawn("refresh", "--force", fault="kill-before:catalog.json"))
    assert code == -9, err
    _publish(server, 2)  # the news moved on: version 1's entries are never seen again
    run = reader("refresh", "--force")
    assert run.code == 0, run.out + run.err
    snapshot = check_store(reader.db, marks)
    assert set(_list_ids(reader)) == snapshot.catalog_ids


def test_a_refresh_killed_before_its_commit_point_shows_nothing_of_it(news):
    reader, server, marks = news
    before = check_store(reader.db, marks).catalog_ids
    _publish(server, 1)
    code, _out, err = reap(reader.spawn("refresh", "--force", fault="kill-before:catalog.json"))
    assert code == -9, err
    snapshot = check_store(reader.db, marks)
    assert snapshot.catalog_ids == before  # the commit point was not reached
    listed = set(_list_ids(reader))
    assert listed == snapshot.catalog_ids, f"{len(listed - snapshot.catalog_ids)} uncommitted"


def test_a_full_disk_during_refresh_is_one_line_and_the_store_is_intact(tmp_path):
    """RLIMIT_FSIZE makes writes past 256 kB fail with EFBIG, as a full disk would."""
    with FeedServer() as server:
        server.route("/news.xml", Route(body=feed_version(0, new=5, fixed=0, changing=0)))
        reader = FaultReader(
            tmp_path, feed_toml([{"url": server.url("/news.xml"), "name": "news"}])
        )
        assert reader("refresh").code == 0
        ids = _list_ids(reader)
        marks: dict[str, UserState] = {}
        mark(reader.db, marks, ids[0], add_tags=("precious",), starred=True)
        before = {p: p.read_bytes() for p in reader.db.rglob("*.json")}
        # the news now: 400 long entries, far more than the limit allows in one segment
        server.route("/news.xml", Route(body=feed_version(1, new=400, fixed=0, changing=0)))

        def limit():
            resource.setrlimit(resource.RLIMIT_FSIZE, (256_000, 256_000))

        done = subprocess.run(
            reader.argv("refresh", "--force"), capture_output=True, text=True,
            env=reader.env(), preexec_fn=limit, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "file size limit reached" in lines[0] and "previous version is intact" in lines[0]
    assert str(reader.db) in lines[0] and "Traceback" not in done.stderr
    after = {p: p.read_bytes() for p in reader.db.rglob("*.json")}
    assert after == before  # not a byte changed, no file added
    check_store(reader.db, marks)
    assert sorted(_list_ids(reader)) == sorted(ids)


# --- corrupt files -------------------------------------------------------------------------


@pytest.fixture
def two_refreshes(tmp_path):
    """A store written twice over (so every file has a .bak), marks changed twice."""
    with FeedServer() as server:
        server.route("/news.xml", Route(body=feed_version(0, new=4, fixed=1, changing=1)))
        reader = FaultReader(
            tmp_path, feed_toml([{"url": server.url("/news.xml"), "name": "news"}])
        )
        assert reader("refresh").code == 0
        server.route("/news.xml", Route(body=feed_version(1, new=4, fixed=1, changing=1)))
        assert reader("refresh", "--force").code == 0
    ids = _list_ids(reader)
    store = Store.open(reader.db)
    store.change_state([StateChange(ids[0], add_tags=("one",))])
    store.change_state([StateChange(ids[0], read=True)])  # the shard's second write: a .bak
    return reader, ids, ids[0]


CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "garbage": lambda data: b"\x00\xff garbage \x1b[2J" * 10,
    "empty": lambda data: b"",
}


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
def test_a_corrupt_store_file_is_named_in_one_line_and_never_overwritten(two_refreshes, damage):
    reader, ids, marked = two_refreshes
    store_files = {
        "catalog": (reader.db / "catalog.json", [("list",), ("refresh", "--force"), ("tag", ids[0], "+x")]),
        "feeds": (reader.db / "feeds.json", [("feeds",), ("refresh", "--force")]),
        "segment": (reader.db / "segments" / "000001.json", [("list",), ("show", ids[0])]),
        "state": (reader.db / "state" / f"{marked[0]}.json", [("list",), ("tag", marked, "+x"), ("read", marked)]),
    }  # fmt: skip
    for name, (path, commands) in store_files.items():
        original = path.read_bytes()
        assert backup_path(path).exists(), path
        broken = CORRUPTIONS[damage](original)
        path.write_bytes(broken)
        for command in commands:
            run = reader(*command)
            where = f"{name} {damage}: reader {' '.join(command)}"
            assert run.code != 0, where
            lines = run.err.strip().splitlines()
            assert len(lines) == 1, (where, run.err)
            line = lines[0]
            assert str(path) in line and str(backup_path(path)) in line, (where, line)
            assert "reader doctor" in line and "Traceback" not in run.err, (where, line)
            assert "\x1b" not in line  # the garbage is not echoed
            assert path.read_bytes() == broken, f"{where} overwrote the corrupt file"
        path.write_bytes(original)
    assert reader("list").code == 0


@pytest.mark.parametrize(
    "content",
    ['{"articles": "x"}', '{"articles": {"abcdef123456": 5}}', '{"segments": [1]}',
     '{"articles": {"abcdef123456": [1, "h", 99]}}'],
)  # fmt: skip
def test_a_store_file_of_the_wrong_shape_is_reported_not_a_traceback(two_refreshes, content):
    reader, _ids, _marked = two_refreshes
    path = reader.db / "catalog.json"
    path.write_text(content)
    run = reader("list")
    assert run.code != 0 and "Traceback" not in run.err, run.err
    assert len(run.err.strip().splitlines()) == 1 and str(path) in run.err
    assert path.read_text() == content


# --- locks ---------------------------------------------------------------------------------


def test_a_marks_lock_held_past_wait_exits_3_in_one_line(two_refreshes):
    """The store lock case is in test_cli.py; the marks lock (tag/read/star) too."""
    reader, ids, _marked = two_refreshes
    with FileLock(str(reader.db / ".state.lock")):
        for command in (("tag", ids[0], "+x"), ("read", ids[0]), ("star", ids[0])):
            started = time.monotonic()
            run = reader("--wait", "0.5", *command)
            assert time.monotonic() - started < 10
            assert run.code == 3, (command, run.out + run.err)
            assert len(run.err.strip().splitlines()) == 1 and "busy" in run.err
    assert reader("tag", ids[0], "+x").code == 0  # and it works once the lock is free


def test_a_store_lock_held_does_not_block_reading(two_refreshes):
    reader, _ids, _marked = two_refreshes
    with FileLock(str(reader.db / ".lock")), FileLock(str(reader.db / ".state.lock")):
        started = time.monotonic()
        assert reader("--wait", "0.5", "list").code == 0
        assert reader("--wait", "0.5", "feeds").code == 0
        assert time.monotonic() - started < 10
