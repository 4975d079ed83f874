"""The command-line layer: parses, calls the core, renders. The only place typer/rich/questionary live."""
