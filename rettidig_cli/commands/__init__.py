"""The typer commands: flags, asking or not, printing. No SQL, no questionary."""
