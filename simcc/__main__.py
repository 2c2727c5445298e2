"""``python -m simcc`` runs the command line."""

from simcc.cli import main

main()
