"""Compares executed notebooks with nbclient's expected ones, by nbclient's own test comparison.

Usage: python3 nbclient-compare.py EXPECTED.ipynb ACTUAL.ipynb [EXPECTED ACTUAL ...]
Prints one line per pair: "EQUAL <name>" or "DIFFERENT <name>: <what differs>". Exit code 0 when all are equal.
assert_notebooks_equal (nbclient/tests/test_client.py, Debian's python3-nbclient) normalizes addresses, base64,
SVG, widget ids and IPython input names in tracebacks, then compares every cell's outputs and execution_count;
its module imports pytest, testpath, xmltodict and nbconvert.
"""
import os
import sys

import nbformat
from nbclient.tests.test_client import assert_notebooks_equal, normalize_output

failed = 0
pairs = sys.argv[1:]
for expected_path, actual_path in zip(pairs[0::2], pairs[1::2]):
    name = os.path.basename(expected_path)
    expected = nbformat.read(expected_path, 4)
    actual = nbformat.read(actual_path, 4)
    try:
        assert_notebooks_equal(expected, actual)
        print(f"EQUAL {name}")
    except AssertionError:
        failed += 1
        detail = "cell count differs"
        for i, (e, a) in enumerate(zip(expected.cells, actual.cells)):
            eo = [normalize_output(o) for o in e.get("outputs", [])]
            ao = [normalize_output(o) for o in a.get("outputs", [])]
            if eo != ao:
                detail = f"cell {i} outputs: expected {eo!r:.300} got {ao!r:.300}"
                break
            if e.get("execution_count") != a.get("execution_count"):
                detail = f"cell {i} execution_count: expected {e.get('execution_count')} got {a.get('execution_count')}"
                break
        print(f"DIFFERENT {name}: {detail}")
sys.exit(1 if failed else 0)
