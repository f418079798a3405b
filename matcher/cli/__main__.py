"""``python -m matcher.cli``: the same as the ``matcher`` command."""

from matcher.cli import run

if __name__ == "__main__":
    run()
