"""``python -m edu_chain`` runs the ``educhain`` command line."""

from edu_chain.cli import main

main()
