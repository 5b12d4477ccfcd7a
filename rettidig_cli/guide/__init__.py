"""The guide as data: its model and strict reader, the shared rule files in data/, the parent rule."""
