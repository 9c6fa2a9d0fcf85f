"""Running exported scripts (test_export, test_fuzz_models): many jobs in one `python -I` process, so
that torch is imported once. Each job is a script and its arguments, run as `python -I SCRIPT ARGS`
runs it (runpy, as __main__); its exit status, stdout, stderr and seconds come back as JSON. A job
that ends in a traceback has the status "traceback", one that runs past its time "slow"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_DRIVER = r'''
import contextlib, io, json, resource, runpy, signal, sys, time, traceback
import torch
torch.set_num_threads(1)
jobs, seconds, headroom = json.load(open(sys.argv[1])), float(sys.argv[2]), int(sys.argv[3])


class Slow(BaseException):  # not an Exception: a script's own handlers do not catch it
    pass


def alarm(signum, frame):
    raise Slow()


signal.signal(signal.SIGALRM, alarm)
if headroom and sys.platform == "linux":  # RLIMIT_DATA: what torch took plus the headroom
    used = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmData:"))
    resource.setrlimit(resource.RLIMIT_DATA, (used + headroom, resource.getrlimit(resource.RLIMIT_DATA)[1]))
results = {}
for name, argv in jobs.items():
    out, err, code = io.StringIO(), io.StringIO(), 0
    sys.argv, t0 = argv, time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(argv[0], run_name="__main__")
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except Slow:
            code = "slow"
        except Exception:  # a traceback: what a script must never end in
            code, _ = "traceback", err.write(traceback.format_exc())
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    took = time.perf_counter() - t0
    results[name] = {"code": code, "out": out.getvalue(), "err": err.getvalue(), "seconds": took}
results["imported playground"] = sorted(m for m in sys.modules if m.split(".")[0] == "playground")
print(json.dumps(results))
'''


def script_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}


def drive(folder: Path, jobs: dict[str, list[str]], seconds: float = 120.0, headroom: int = 0) -> dict:
    """Run the jobs in one `python -I` process in ``folder``: each at most ``seconds``; with a
    ``headroom``, the process may allocate that many bytes beyond what importing torch took."""
    (folder / "jobs.json").write_text(json.dumps(jobs, ensure_ascii=True), encoding="utf-8")
    (folder / "driver.py").write_text(_DRIVER, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-I", str(folder / "driver.py"), str(folder / "jobs.json"), str(seconds), str(headroom)],
        capture_output=True, text=True, timeout=600, cwd=folder, env=script_env(),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)
