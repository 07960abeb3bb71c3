"""Reference for the idle-cost benchmark: N jupyter_client BlockingKernelClients connected to N running kernels.

Reports the RSS growth of this process per connected client and the CPU this process uses while all of them sit
idle for `seconds` (jupyter_client's heartbeat channel is started by start_channels, as in normal use).
"""
import os
import resource
import time

from common import serve, on_exit

_clients = []


@on_exit
def _stop():
    while _clients:
        try:
            _clients.pop().stop_channels()
        except Exception:
            pass


def _rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def idle(connection_files, seconds=10.0):
    from jupyter_client import BlockingKernelClient
    # Warm up imports and code paths with one client first.
    kc = BlockingKernelClient()
    kc.load_connection_file(connection_files[0])
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    kc.stop_channels()
    time.sleep(0.5)
    before = _rss_bytes()
    for f in connection_files:
        kc = BlockingKernelClient()
        kc.load_connection_file(f)
        kc.start_channels()
        _clients.append(kc)
    for kc in _clients:
        kc.wait_for_ready(timeout=60)
    after = _rss_bytes()
    time.sleep(1.0)
    c0, t0 = _cpu_seconds(), time.perf_counter()
    time.sleep(seconds)
    cpu, wall = _cpu_seconds() - c0, time.perf_counter() - t0
    _stop()
    return {"rss_before": before, "rss_after": after, "n": len(connection_files), "cpu_seconds": cpu, "wall_seconds": wall,
            "threads_note": "each BlockingKernelClient runs its own ioloop thread + heartbeat thread"}


if __name__ == "__main__":
    serve({"idle": idle})
