"""halflife: a terminal news reader that knows what matters and what is still fresh."""

__version__ = "0.1.0"
