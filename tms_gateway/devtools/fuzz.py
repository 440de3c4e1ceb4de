"""`make fuzz`: the schema-driven fuzz test of the callback API with more examples.

Runs tests/api/test_fuzz.py in-process (the WSGI app, the demo shop seeded in the test
database, the carrier sandbox on a free port); PostgreSQL and Redis as for `make test`.
FUZZ_EXAMPLES sets the examples per operation (default here 200; the test suite uses 25).
"""

from __future__ import annotations

import os
import sys

import pytest


def main(argv: list[str]) -> int:
    os.environ.setdefault("FUZZ_EXAMPLES", "200")
    print(f"Fuzzing the callback API with {os.environ['FUZZ_EXAMPLES']} examples per operation")
    return int(pytest.main(["-q", "-p", "no:cacheprovider", "tests/api/test_fuzz.py", *argv]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
