"""`python -m reader` and the `reader` command (pyproject's console script).

The command line itself (reader.cli: click and every command) is imported when it runs,
not when this module is: multiprocessing imports the running script again in each
parse worker it starts, and for the `reader` script that is this module alone.
"""

import os


def main() -> None:
    # One BLAS thread, set before anything loads numpy: OpenBLAS starts a thread per core
    # when it loads (~0.1 s of CPU in each process that imports numpy: this one and the
    # refresh's forkserver, which inherits the setting), and its threads spin beside
    # the parse workers. Every matrix product here is small enough for one thread (see
    # reader.cluster.Embedder). A value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from reader.cli import main as cli_main

    try:
        cli_main()
    finally:
        # Leaving: the interpreter's last garbage collection walks every object still
        # alive, ~0.1 s after a cold refresh, on a path nothing else overlaps. It skips
        # frozen objects: what is not in a reference cycle is freed all the same, the
        # cycles go with the process, and nothing of ours waits on the collector to be
        # closed (files and locks are closed by their `with` blocks).
        import gc

        gc.freeze()


if __name__ == "__main__":
    main()
