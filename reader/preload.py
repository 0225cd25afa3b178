"""Imported by a refresh's forkserver, once, before it forks the parse workers.

multiprocessing's forkserver preloads modules by name, so this module does its work
on import: the parser and enrichment modules, and the language model, are then in the
forkserver's memory and every worker forked from it starts with them, instead of each
worker importing numpy and loading the model on its first article. Starting the pool
and detecting one article in each of its 2 workers took 0.53 s of CPU in all and now
0.43 s with reader.modelcache's file there, 1.9 s and now 0.92 s without it (the first
refresh on a machine, or after a py3langid upgrade). For a cold refresh of the 184
feeds of the shared corpus (medians of 4): 20.6 -> 20.6 s with the cache (within
noise), 24.3 -> 21.7 s while it is built.

Nothing here may raise: an exception other than ImportError would take the forkserver
down, and with it the refresh's pool. A model that fails to load here is loaded by each
worker on its first article, as it would be without this module.
"""

from __future__ import annotations

import contextlib
import gc

import reader.enrich
import reader.feedxml  # lxml and feedparser: the fast path and its fallback
import reader.parse
import reader.parsejob  # parse_job, the jobs' entry point, and what it imports
import reader.store  # parsejob checks each article against the store's format
import reader.summarise  # noqa: F401  # sentencex, reader.boilerplate: enrichment imports them late
from reader.language import warm_up

with contextlib.suppress(ImportError):
    import selectolax.lexbor  # noqa: F401  # reader.text imports it on the first HTML

with contextlib.suppress(Exception):
    warm_up()

# What is loaded now lives as long as the workers: out of the collector's sight, their
# collections do not walk it (nor write to its pages, which each forked worker would
# then copy)
gc.freeze()
