"""stacklab_core.textfile, the one writer of the lab's last-success times (the backup tool, certbot's hook)."""

import stat
import subprocess
import sys
import time
from pathlib import Path

from stacklab_core import textfile


def test_a_gauge_is_written_whole_readable_and_without_a_temp_file_left(tmp_path):
    path = textfile.write("stacklab_x_timestamp_seconds", 1700000000.5, "a test", tmp_path)
    assert path == tmp_path / "stacklab_x_timestamp_seconds.prom"
    assert path.read_text().splitlines() == [
        "# HELP stacklab_x_timestamp_seconds a test",
        "# TYPE stacklab_x_timestamp_seconds gauge",
        "stacklab_x_timestamp_seconds 1700000000.500",
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # the exporter's user reads it
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_stamp_writes_now_only_where_the_directory_is(tmp_path):
    assert textfile.stamp("stacklab_y", "a test", tmp_path / "absent") is None
    before = time.time()
    value = float(textfile.stamp("stacklab_y", "a test", tmp_path).read_text().split()[-1])
    assert before - 0.01 <= value <= time.time() + 0.01


def test_the_script_runs_from_a_bare_python(tmp_path):
    """As certbot's hook runs it on a server: `python3 textfile.py NAME [VALUE]`, no venv, no package."""
    script = tmp_path / "textfile.py"
    script.write_text(
        Path(textfile.__file__).read_text().replace('Path("/var/lib/stacklab-metrics")', f'Path("{tmp_path}")')
    )
    subprocess.run([sys.executable, "-I", str(script), "stacklab_z", "42"], check=True)
    assert (tmp_path / "stacklab_z.prom").read_text().endswith("stacklab_z 42.000\n")
    bad = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "usage" in bad.stderr
