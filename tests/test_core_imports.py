"""The core never loads Qt: it must run in a script, a notebook or a server."""

from __future__ import annotations

import subprocess
import sys


def test_core_and_cli_import_no_qt():
    code = (
        "import sys\n"
        "import playground.core.trainer, playground.core.checkpoint, playground.core.inference\n"
        "import playground.core.probes, playground.core.data.series, playground.core.data.dialogs\n"
        "import playground.core.examples\n"
        "import playground.cli\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'PyQt5', 'PyQt6', 'shiboken6'))\n"
        "print(','.join(qt))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported Qt modules: {out.stdout}"
