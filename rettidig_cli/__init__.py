"""rettidig: from concern to action, a terminal guide for Danish early intervention."""

__version__ = "0.1.0"
