"""Where halflife looks for its config and keeps its store (XDG base directories)."""

from __future__ import annotations

from pathlib import Path

APP_NAME = "halflife"
CONFIG_NAME = "feeds.toml"


def config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME)


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


def config_candidates(explicit: str | Path | None = None) -> list[Path]:
    """Paths tried for feeds.toml, in order: --config, the XDG config dir, ./feeds.toml."""
    if explicit is not None:
        return [Path(explicit).expanduser()]
    return [config_dir() / CONFIG_NAME, Path.cwd() / CONFIG_NAME]


def default_store_path() -> Path:
    return data_dir() / "store"
