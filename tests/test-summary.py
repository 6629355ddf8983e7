#!/usr/bin/env python3
"""The end of `make test`: one line per test project, then every failed test with the first lines of its
message, read from the .trx files `dotnet test --logger trx` wrote. `dotnet test` of the solution runs the
projects in parallel, so a failure's name can be far above the tail of the console output; this puts it
at the end. Exits 1 when a test failed, a run was aborted, or a test project of the solution left no
results; 0 otherwise.

usage: test-summary.py RESULTS_DIR SOLUTION
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
MESSAGE_LINES = 4
LINE_CHARS = 200
MAX_LISTED = 40


def test_projects(solution):
    """Names of the solution's test projects: tests/*/X.Tests.csproj."""
    with open(solution, encoding="utf-8-sig") as f:
        text = f.read()
    paths = re.findall(r'"(tests[\\/][^"]+\.Tests\.csproj)"', text)
    return sorted({os.path.splitext(os.path.basename(p.replace("\\", "/")))[0] for p in paths})


def first_lines(text):
    lines = [l.rstrip() for l in (text or "").strip().splitlines() if l.strip()]
    shown = [l if len(l) <= LINE_CHARS else l[:LINE_CHARS] + "..." for l in lines[:MESSAGE_LINES]]
    if len(lines) > MESSAGE_LINES:
        shown.append(f"... ({len(lines) - MESSAGE_LINES} more lines)")
    return shown


def project_of(path, results_dir, root):
    """The folder the .trx is in (make test gives each project its own), else the test assemblies' names."""
    folder = os.path.relpath(os.path.dirname(path), results_dir)
    if folder != ".":
        return folder.split(os.sep)[0]
    names = {os.path.splitext(os.path.basename(m.get("codeBase", "")))[0]
             for m in root.iterfind("t:TestDefinitions/t:UnitTest/t:TestMethod", NS) if m.get("codeBase")}
    return ", ".join(sorted(names)) if names else f"({os.path.basename(path)})"


def read_trx(path, results_dir):
    """(project, counts, failures, run errors) of one .trx file."""
    root = ET.parse(path).getroot()
    project = project_of(path, results_dir, root)
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    failures = []
    for result in root.iterfind("t:Results/t:UnitTestResult", NS):
        outcome = result.get("outcome", "")
        if outcome == "Passed":
            counts["passed"] += 1
        elif outcome == "NotExecuted":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
            message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS)
            failures.append((result.get("testName", "?"), outcome, first_lines(message)))
    # A crashed or aborted run (test host crash: outcome Failed, results lost) is told by its run infos;
    # xunit's own "[xUnit.net ...] [FAIL]" echo lines are run infos too and say nothing the failures do not.
    summary = root.find("t:ResultSummary", NS)
    errors = []
    if summary is not None:
        for info in summary.iterfind("t:RunInfos/t:RunInfo", NS):
            text = info.findtext("t:Text", default="", namespaces=NS)
            if info.get("outcome") != "Warning" and not text.lstrip().startswith("[xUnit.net"):
                errors.append(first_lines(text))
        if not errors and not failures and summary.get("outcome") not in ("Completed", "Passed", "Warning"):
            errors.append([f"test run outcome {summary.get('outcome')} without a failed test"])
    return project, counts, failures, errors


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    results_dir, solution = sys.argv[1], sys.argv[2]
    expected = test_projects(solution)
    runs = []
    for path in sorted(glob.glob(os.path.join(results_dir, "**", "*.trx"), recursive=True)):
        try:
            runs.append(read_trx(path, results_dir))
        except (ET.ParseError, OSError) as e:
            runs.append((f"(unreadable {os.path.basename(path)})", {"passed": 0, "failed": 0, "skipped": 0}, [], [[str(e)]]))

    print()
    print(f"==== test summary ({results_dir}) ====")
    bad_projects = []
    width = max([len(r[0]) for r in runs] + [len(p) for p in expected] + [10])
    for project, counts, failures, errors in sorted(runs, key=lambda r: r[0]):
        total = sum(counts.values())
        state = "ok" if not failures and not errors else "FAILED"
        if state != "ok":
            bad_projects.append(project)
        aborted = ", run aborted" if errors else ""
        print(f"{project:<{width}}  {state:<6}  passed {counts['passed']}, failed {counts['failed']}, "
              f"skipped {counts['skipped']}, total {total}{aborted}")
    seen = {name for r in runs for name in r[0].split(", ")}
    for project in expected:
        if project not in seen:
            bad_projects.append(project)
            print(f"{project:<{width}}  FAILED  no results (its test run did not start, or left no .trx)")

    failed = [(project, f) for project, _, failures, _ in sorted(runs, key=lambda r: r[0]) for f in failures]
    aborted = [(project, e) for project, _, _, errors in sorted(runs, key=lambda r: r[0]) for e in errors]
    if not bad_projects:
        print(f"all tests passed in {len(runs)} projects")
        return 0

    print()
    print("---- failures ----")
    for project, lines in aborted:
        print(f"{project}: test run aborted")
        for line in lines:
            print(f"    {line}")
    for project, (name, outcome, lines) in failed[:MAX_LISTED]:
        print(f"{project}: {name}" + ("" if outcome == "Failed" else f" ({outcome})"))
        for line in lines:
            print(f"    {line}")
    if len(failed) > MAX_LISTED:
        print(f"... and {len(failed) - MAX_LISTED} more failed tests (see the .trx files)")
    print(f"FAILED: {', '.join(bad_projects)} ({len(failed)} failed tests, {len(aborted)} aborted runs); "
          f"full messages in the .trx files under {results_dir}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
