"""The data file: opening, keys and encryption, migrations, every query and write, erasure, restore."""
