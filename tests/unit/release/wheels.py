"""Minimal pure-Python wheels of stacklab-<app> for the release tests (what `uv build` makes, much smaller)."""

import base64
import hashlib
import zipfile
from pathlib import Path


def make_wheel(folder: Path, app: str, version: str, body: str, entry_points: str = "") -> Path:
    """A wheel of stacklab-<app> whose package holds `body` (and console scripts, if given)."""
    dist = f"stacklab_{app}-{version}"
    files = {
        f"stacklab_{app}/__init__.py": body,
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: stacklab-{app}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if entry_points:
        files[f"{dist}.dist-info/entry_points.txt"] = entry_points
    record = []
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in files.items():
            data = text.encode()
            whl.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{dist}.dist-info/RECORD,,")
        whl.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return path
