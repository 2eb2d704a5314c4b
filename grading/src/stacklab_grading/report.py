"""One exercise's results, written for people and for the tools they already use.

    terminal     pass / FAIL / not run per check; a failure's transcript, expected, got, first difference, hint
    json         check50's `-o json` shape: {slug, version, results: [{name, description, passed, log, cause,
                 data, dependency}]}; passed is null for a check not run
    junit        JUnit XML (xml.etree: the standard library escapes text and attributes correctly, and the
                 grader stays installable with no dependency): testsuites > testsuite > testcase with <failure>
                 (message: the rationale; body: the failure's text) or <skipped> (why not run)
    gradescope   Gradescope's results.json: one test per check, 1 point each

Every format renders a failure from the same lines (failure_lines), so they never disagree.
"""

import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime

from .engine import Exercise, Result

VERSION = "1"
SHOWN = 80  # bytes of expected/got shown in full in the text; the JSON carries up to MAX_DATA
MAX_DATA = 4096
MARK = {"pass": "pass", "fail": "FAIL", "not run": "not run"}


def listing(exercises: Iterable[Exercise]) -> str:
    """`--list`: each exercise's title, then its checks, a line each."""
    lines = []
    for exercise in exercises:
        lines.append(exercise.title)
        lines += [f"  {check.name:<18} {check.description}" for check in exercise.checks]
    return "\n".join(lines)


def failure_lines(result: Result) -> list[str]:
    """The failure of a result as text: the transcript, expected, got, first difference, hint."""
    failure = result.failure
    if failure is None:
        return []
    lines = [f"    {line}" for line in result.transcript]
    if failure.expected is not None:
        lines.append(f"  expected {shown(failure.expected)}")
    if failure.got is not None:
        lines.append(f"  got      {shown(failure.got)}")
    elif failure.waited:
        lines.append(f"  got      nothing: {failure.waited}")
    if (offset := failure.first_difference) is not None:
        lines.append(f"  first difference at byte {offset}")
    lines.append(f"  hint: {failure.help}")
    return lines


def shown(data: bytes) -> str:
    if len(data) <= SHOWN:
        return repr(data)
    return f"{data[:SHOWN]!r} ... ({len(data):,} bytes)"


def summary(results: list[Result]) -> str:
    counts = {status: sum(r.status == status for r in results) for status in ("pass", "fail", "not run")}
    return f"{counts['pass']} passed, {counts['fail']} failed, {counts['not run']} not run"


def terminal(exercise: Exercise, results: list[Result], target: str) -> str:
    width = max(len(r.check.name) for r in results)
    out = [f"{exercise.title}", f"target {target}"]
    for r in results:
        out.append(f"{MARK[r.status]:<7} {r.check.name:<{width}}  {r.detail}")
        out += failure_lines(r)
    out.append(summary(results))
    return "\n".join(out) + "\n"


def check50(exercise: Exercise, results: list[Result], target: str) -> str:
    return json.dumps(
        {
            "slug": f"stacklab/{exercise.name}",
            "version": VERSION,
            "target": target,
            "results": [_check50_result(r) for r in results],
            "error": None,
        },
        indent=2,
    )


def _check50_result(r: Result) -> dict:
    cause = None
    if r.status == "not run":
        cause = {"rationale": r.detail, "help": None}
    elif r.failure is not None:
        cause = {"rationale": r.failure.rationale, "help": r.failure.help, "hint": r.failure.hint}
        if r.failure.expected is not None:
            cause["expected"] = _text(r.failure.expected)
        if r.failure.got is not None:
            cause["actual"] = _text(r.failure.got)
    return {
        "name": r.check.name,
        "description": r.check.description,
        "passed": r.passed,
        "log": list(r.transcript) if r.failure else [r.detail],
        "cause": cause,
        "data": {"seconds": r.seconds},
        "dependency": r.check.needs[0] if r.check.needs else None,
    }


def _text(data: bytes) -> str:
    """Bytes for JSON: repr-style, so that '\\r\\n' and trailing spaces stay visible."""
    return repr(data[:MAX_DATA])[2:-1] + ("..." if len(data) > MAX_DATA else "")


def junit(exercise: Exercise, results: list[Result], target: str) -> str:
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": f"stacklab.{exercise.name}",
            "tests": str(len(results)),
            "failures": str(sum(r.status == "fail" for r in results)),
            "errors": "0",
            "skipped": str(sum(r.status == "not run" for r in results)),
            "time": f"{sum(r.seconds for r in results):.3f}",
            "timestamp": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "hostname": socket.gethostname(),
        },
    )
    ET.SubElement(ET.SubElement(suite, "properties"), "property", {"name": "target", "value": target})
    for r in results:
        attributes = {"classname": f"stacklab.{exercise.name}", "name": r.check.name, "time": f"{r.seconds:.3f}"}
        case = ET.SubElement(suite, "testcase", attributes)
        if r.status == "fail":
            failure = ET.SubElement(case, "failure", {"message": r.detail, "type": r.failure.hint})
            failure.text = "\n".join(failure_lines(r))
        elif r.status == "not run":
            ET.SubElement(case, "skipped", {"message": f"not run: {r.detail}"})
        else:
            ET.SubElement(case, "system-out").text = r.detail
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def gradescope(exercise: Exercise, results: list[Result], target: str) -> str:
    tests = []
    for number, r in enumerate(results, 1):
        output = r.detail if r.status == "pass" else "\n".join([r.detail, *failure_lines(r)])
        tests.append(
            {
                "name": f"{exercise.name}: {r.check.description}",
                "number": str(number),
                "score": 1 if r.status == "pass" else 0,
                "max_score": 1,
                "status": "passed" if r.status == "pass" else "failed",
                "output": output if r.status != "not run" else f"not run: {r.detail}",
                "tags": [exercise.name, r.check.name],
                "visibility": "visible",
            }
        )
    score = sum(test["score"] for test in tests)
    return json.dumps(
        {
            "score": score,
            "execution_time": round(sum(r.seconds for r in results), 3),
            "output": f"{exercise.title}\ntarget {target}: {summary(results)}",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": tests,
        },
        indent=2,
    )


FORMATS = {"terminal": terminal, "json": check50, "junit": junit, "gradescope": gradescope}
