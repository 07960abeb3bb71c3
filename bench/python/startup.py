"""Kernel start with jupyter_client, timed inside Python.

cmd "start_new_kernel": jupyter_client.manager.start_new_kernel (start + client + wait_for_ready), then shutdown
                        (not timed).
cmd "concurrent":       n AsyncKernelManagers started with asyncio.gather, each then a client, wait_for_ready and
                        one execute_interactive; wall time until all cells are done; then all shut down (not timed).
"""
import asyncio
import time

from common import serve, on_exit, log

_live = []  # (km, kc) still running: shut down on exit


@on_exit
def _shutdown_all():
    while _live:
        km, kc = _live.pop()
        try:
            kc.stop_channels()
        except Exception:
            pass
        try:
            r = km.shutdown_kernel(now=True)
            if asyncio.iscoroutine(r):
                asyncio.run(r)
        except Exception as e:
            log("shutdown failed:", e)


def start_new_kernel(kernel_name="python3", timeout=120):
    from jupyter_client.manager import start_new_kernel as snk
    t0 = time.perf_counter()
    km, kc = snk(startup_timeout=timeout, kernel_name=kernel_name)
    seconds = time.perf_counter() - t0
    _live.append((km, kc))
    try:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    finally:
        _live.remove((km, kc))
    return {"seconds": seconds}


def concurrent(n=20, kernel_name="python3", code="1", timeout=180, per_kernel_timeout=60):
    from jupyter_client import AsyncKernelManager

    async def one(results):
        km = AsyncKernelManager(kernel_name=kernel_name)
        await km.start_kernel()
        kc = km.client()
        results.append((km, kc))
        _live.append((km, kc))  # shut down on exit too, if the harness gives up on this run and ends the helper
        kc.start_channels()
        await kc.wait_for_ready(timeout=timeout)
        reply = await kc.execute_interactive(code, output_hook=lambda m: None, timeout=timeout)
        return reply["content"]["status"]

    async def main():
        started = []
        t0 = time.perf_counter()
        try:
            # Every start runs to its own end (return_exceptions) and is bounded on its own: jupyter_client sometimes
            # fails to start one of 20 (seen here: "Address already in use", and a start that never got ready), and
            # that must fail the run quickly, not leave the other starts unawaited or hang it.
            statuses = await asyncio.wait_for(asyncio.gather(*(asyncio.wait_for(one(started), per_kernel_timeout) for _ in range(n)),
                                                             return_exceptions=True), timeout)
            seconds = time.perf_counter() - t0
        finally:
            for km, kc in started:
                kc.stop_channels()
            await asyncio.wait_for(asyncio.gather(*(km.shutdown_kernel(now=True) for km, _ in started), return_exceptions=True), 60)
            for pair in started:
                if pair in _live:
                    _live.remove(pair)
        errors = sorted({f"{type(s).__name__}: {s}" if str(s) else type(s).__name__ for s in statuses if isinstance(s, BaseException)})
        return {"seconds": seconds, "succeeded": sum(1 for s in statuses if s == "ok"), "n": n, "errors": errors[:3]}

    return asyncio.run(main())


if __name__ == "__main__":
    serve({"start_new_kernel": start_new_kernel, "concurrent": concurrent})
