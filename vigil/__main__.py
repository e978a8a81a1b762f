"""``python -m vigil`` hands off to the CLI."""

from vigil.cli.main import main

main()
