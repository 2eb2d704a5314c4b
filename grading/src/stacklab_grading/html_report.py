"""A sweep's grid for the teacher: one self-contained HTML file (inline CSS, no script, every text escaped) with
students by exercises, each cell linking to that student's failure (transcript, expected, got, hint) below the
grid; and the same cells as CSV, one row per student and exercise, for a spreadsheet.

Each cell also says when the student first passed that exercise, from the sweep history (history.py)."""

import csv
import io
from html import escape

from .report import failure_lines
from .sweep import FAIL, PASS, UNREACHABLE, Cell

CSV_COLUMNS = (
    "student",
    "host",
    "prefix",
    "exercise",
    "target",
    "status",
    "passed",
    "checks",
    "failed_check",
    "hint",
    "detail",
    "first_passed",
)

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table.grid { border-collapse: collapse; }
.grid th, .grid td { border: 1px solid #bbb; padding: 4px 8px; text-align: left; vertical-align: top;
  white-space: nowrap; }
.grid td.cell { width: 10em; white-space: normal; }
.pass { background: #d7f5d3; } .fail { background: #f9d4d0; }
.unreachable { background: #ddd; color: #555; } .not-run { background: #fff; color: #888; }
.first { display: block; font-size: 11px; color: #555; }
.counts span { margin-right: 1em; }
section.failure { border-top: 1px solid #bbb; margin-top: 1em; }
pre { background: #f6f6f6; padding: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
a { color: inherit; }
"""


def anchor(row: int, cell: Cell) -> str:
    """A stable id from positions and the exercise slug: a student's name may hold any character."""
    return f"s{row}-{cell.exercise.name}"


def label(cell: Cell) -> str:
    if cell.status == FAIL:
        return f"fail {cell.passed}/{len(cell.results)}"
    return cell.status


def html(cells: list[Cell], first_passed: dict[tuple[str, str], str], started: str, title: str) -> str:
    students = list({cell.student.name: cell.student for cell in cells}.values())
    exercises = list({cell.exercise.name: cell.exercise for cell in cells}.values())
    by_key = {(cell.student.name, cell.exercise.name): cell for cell in cells}
    counts = {status: sum(cell.status == status for cell in cells) for status in (PASS, FAIL, UNREACHABLE, "not run")}
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Sweep started {escape(started[:19].replace('T', ' '))} UTC. "
        "Each cell: the exercise's status and checks passed; its link shows the failure. "
        "&ldquo;first passed&rdquo; is the first sweep in which every check passed.</p>",
        '<p class="counts">' + "".join(f"<span>{escape(s)}: {n}</span>" for s, n in counts.items()) + "</p>",
        '<table class="grid"><thead><tr><th>student</th><th>host</th><th>prefix</th>',
        *(f'<th title="{escape(e.title)}">{escape(e.name)}</th>' for e in exercises),
        "</tr></thead><tbody>",
    ]
    details: list[str] = []
    for row, student in enumerate(students, 1):
        out.append(
            f"<tr><th>{escape(student.name)}</th><td>{escape(student.host)}</td><td>{escape(student.prefix)}</td>"
        )
        for exercise in exercises:
            cell = by_key[(student.name, exercise.name)]
            text = escape(label(cell))
            if cell.status in (FAIL, UNREACHABLE):
                text = f'<a href="#{anchor(row, cell)}">{text}</a>'
                details.append(failure_section(row, cell))
            first = first_passed.get((student.name, exercise.name))
            if first:
                text += f'<span class="first">first passed {escape(first[:16].replace("T", " "))}</span>'
            css = cell.status.replace(" ", "-")
            out.append(f'<td class="cell {css}" title="{escape(cell.detail)}">{text}</td>')
        out.append("</tr>")
    out += ["</tbody></table>", "<h2>Failures</h2>" if details else "", *details, "</body></html>"]
    return "\n".join(out) + "\n"


def failure_section(row: int, cell: Cell) -> str:
    heading = f"{cell.student.name}: {cell.exercise.name} on {cell.target}"
    parts = [f'<section class="failure" id="{anchor(row, cell)}">', f"<h3>{escape(heading)}</h3>"]
    failed = cell.first_failure
    if cell.status == UNREACHABLE or failed is None:
        parts.append(f"<p>unreachable: {escape(cell.detail)}</p>")
    else:
        parts.append(f"<p>check <b>{escape(failed.check.name)}</b> ({escape(failed.check.description)}) failed: ")
        parts.append(f"{escape(failed.detail)}</p>")
        parts.append(f"<pre>{escape(chr(10).join(failure_lines(failed)))}</pre>")
        others = [r for r in cell.results if r is not failed and r.status != PASS]
        if others:
            parts.append(
                "<ul>" + "".join(f"<li>{escape(f'{r.status}: {r.check.name}: {r.detail}')}</li>" for r in others)
            )
            parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def csv_text(cells: list[Cell], first_passed: dict[tuple[str, str], str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for cell in cells:
        failed = cell.first_failure
        writer.writerow(
            [
                cell.student.name,
                cell.student.host,
                cell.student.prefix,
                cell.exercise.name,
                cell.target,
                cell.status,
                cell.passed,
                len(cell.results),
                failed.check.name if failed else "",
                failed.failure.hint if failed else "",
                cell.detail,
                first_passed.get((cell.student.name, cell.exercise.name), ""),
            ]
        )
    return out.getvalue()
