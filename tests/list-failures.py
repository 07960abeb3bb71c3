#!/usr/bin/env python3
"""Lists the failed tests of a run-all.sh run, each with the first lines of its message, so the end of a CI log
(often all that is kept of it) names what failed. Arguments: the xunit TRX file and the Pester result directory
(NUnit XML, one file per test file). Missing files are skipped: run-all.sh counts those as failures itself."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

MESSAGE_LINES = 6


def first_lines(text):
    lines = [line.rstrip() for line in (text or "").strip().splitlines() if line.strip()]
    shown = lines[:MESSAGE_LINES]
    if len(lines) > MESSAGE_LINES:
        shown.append(f"... ({len(lines) - MESSAGE_LINES} more lines)")
    return shown


def xunit_failures(trx):
    ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
    root = ET.parse(trx).getroot()
    for result in root.iterfind(".//t:UnitTestResult", ns):
        if result.get("outcome") in ("Passed", "NotExecuted"):
            continue
        message = result.find("t:Output/t:ErrorInfo/t:Message", ns)
        yield f"xunit {result.get('outcome')}: {result.get('testName')} ({result.get('duration')})", \
            first_lines(message.text if message is not None else "")


def pester_failures(directory):
    for path in sorted(glob.glob(os.path.join(directory, "*.xml"))):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as error:
            yield f"pester: {os.path.basename(path)} is not readable XML ({error})", []
            continue
        for case in root.iter("test-case"):
            if case.get("result") not in ("Failure", "Error"):
                continue
            message = case.find("failure/message")
            yield f"pester {case.get('result')}: {case.get('name')} ({case.get('time')} s)", \
                first_lines(message.text if message is not None else "")


def main(argv):
    trx, pester_dir = argv[1], argv[2]
    found = []
    if os.path.isfile(trx):
        found.extend(xunit_failures(trx))
    if os.path.isdir(pester_dir):
        found.extend(pester_failures(pester_dir))
    if not found:
        return 0
    print(f"failed tests ({len(found)}):")
    for title, lines in found:
        print(f"- {title}")
        for line in lines:
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
