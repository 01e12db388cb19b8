"""`python -m ie_dsl ...`: the same command line as `iedsl ...`."""

from ie_dsl.cli import main

if __name__ == "__main__":  # not when a spawned worker process imports this module again
    main()
