"""`python -m engine.cli`: the `pdw` command without the installed script (tests, odd PATHs)."""
from engine.cli import main

main(prog_name="pdw")
