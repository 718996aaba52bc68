"""``python -m generator``: the same as ``zdd``."""

from generator.cli import main

if __name__ == "__main__":
    main()
