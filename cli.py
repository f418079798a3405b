"""Run matcher from a checkout: ``python cli.py …`` is the installed ``matcher`` command."""

from matcher.cli import main

if __name__ == "__main__":
    main(prog_name="matcher")
