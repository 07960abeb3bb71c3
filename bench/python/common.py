"""Shared plumbing for the benchmark helpers.

Every helper is a small server: the C# harness starts it with /usr/bin/python3, writes one JSON command per line on
stdin and reads one JSON answer per line on stdout ({"ok": true, ...} or {"ok": false, "error": ...}). Logs go to
stderr. Kernels a helper starts are shut down when the command ends, on EOF, on SIGTERM and on exceptions.
Timing is done inside Python (time.perf_counter) so process start and pipe latency are never measured.
"""
import json
import signal
import sys
import traceback

_cleanups = []


def on_exit(fn):
    """Register a cleanup that runs when the helper exits (EOF, SIGTERM, crash)."""
    _cleanups.append(fn)
    return fn


def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception:  # best effort
            traceback.print_exc(file=sys.stderr)


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def serve(handlers):
    """Serve commands {"cmd": name, ...} with handlers[name](**args) -> dict."""
    signal.signal(signal.SIGTERM, _sigterm)
    out = sys.stdout
    # Anything a library prints must not corrupt the protocol: point sys.stdout at stderr.
    sys.stdout = sys.stderr
    try:
        out.write(json.dumps({"ok": True, "ready": True}) + "\n")
        out.flush()
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            try:
                args = json.loads(line)
                name = args.pop("cmd")
                result = handlers[name](**args)
                answer = {"ok": True}
                answer.update(result or {})
            except SystemExit:
                raise
            except BaseException as e:  # report, keep serving
                traceback.print_exc(file=sys.stderr)
                answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            out.write(json.dumps(answer) + "\n")
            out.flush()
    finally:
        _run_cleanups()
