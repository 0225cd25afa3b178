"""`python -m reader` and the `reader` command (pyproject's console script).

The command line itself (reader.cli: click and every command) is imported when it runs,
not when this module is: multiprocessing imports the running script again in each
parse worker it starts, and for the `reader` script that is this module alone.
"""


def main() -> None:
    from reader.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
