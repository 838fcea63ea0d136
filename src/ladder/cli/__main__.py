"""`python -m ladder.cli ...` runs the `ladder` command (bench/bench_server.py uses it)."""

from . import main

main()
