"""The Qt binding itself must be sound: PySide6 6.12.0 on Python 3.11 decrefs
True/False on every Signal.emit, and the app aborts after a few thousand
signals ("bool_dealloc"). pyproject.toml excludes it; this catches a repeat."""

import subprocess
import sys

CODE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Emitter(QObject):
    value = Signal(object)
emitter = Emitter()
emitter.value.connect(lambda v: None)
before = [sys.getrefcount(x) for x in (True, False, None)]
for _ in range(3000):
    emitter.value.emit(None)
    emitter.value.emit([1])
after = [sys.getrefcount(x) for x in (True, False, None)]
print([a - b for a, b in zip(after, before)])
"""


def test_signal_emission_keeps_reference_counts():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-500:]
    drift = eval(result.stdout)
    assert all(abs(d) < 100 for d in drift), drift
