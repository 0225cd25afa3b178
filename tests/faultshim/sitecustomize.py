"""Fault injection for the store-fault tests, loaded by subprocesses that put this
directory first on PYTHONPATH. Does nothing unless ``HALFLIFE_FAULT`` is set:

- ``kill-before:NAME`` / ``kill-after:NAME``: SIGKILL this process right before / after
  the store replaces the file NAME (``catalog.json``, ``000003.body.json``...) with its
  staged new version;
- ``kill-during:NAME``: write half of NAME's temporary file, fsync it, then SIGKILL
  (a crash in the middle of a write);
- ``slow:SECONDS``: sleep that long before every file replacement (widens the windows
  a random kill can hit);
- any of them with ``trace`` appended (``slow:0.1:trace``): print ``write NAME`` and
  ``wrote NAME`` on stderr around each replacement, so a test can tell where a kill
  landed.

The store's real ``stage_file`` / ``publish_file`` still do every write: only timing
and death are added.
"""

import os
import signal
import sys
import time

_SPEC = os.environ.get("HALFLIFE_FAULT")


def _install(spec: str) -> None:
    import reader.store as store

    parts = spec.split(":")
    mode, arg, trace = parts[0], parts[1] if len(parts) > 1 else "", "trace" in parts[2:]
    original_stage, original_publish = store.stage_file, store.publish_file

    def die() -> None:
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def stage_file(path, payload):
        if path.name == arg and mode == "kill-during":
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as handle:
                handle.write(payload[: len(payload) // 2])
                handle.flush()
                os.fsync(handle.fileno())
            die()
        return original_stage(path, payload)

    def publish_file(path, tmp):
        if trace:
            print(f"write {path.name}", file=sys.stderr, flush=True)
        if path.name == arg and mode == "kill-before":
            die()
        if mode == "slow":
            time.sleep(float(arg))
        original_publish(path, tmp)
        if trace:
            print(f"wrote {path.name}", file=sys.stderr, flush=True)
        if path.name == arg and mode == "kill-after":
            die()

    store.stage_file = stage_file
    store.publish_file = publish_file


if _SPEC:
    _install(_SPEC)
