"""The reference side of the `cold` benchmark: one fresh interpreter per run, as a runbook would start it.

  cold_start.py start   KernelManager start, client, wait_for_ready, execute_interactive('1'), shutdown.
  cold_start.py attach CONNECTION_FILE
                        attach to a running kernel (BlockingKernelClient over its connection file), wait_for_ready,
                        execute_interactive('1'), disconnect (the kernel keeps running).
  cold_start.py complete CONNECTION_FILE N
                        attach, then N complete_request('import o') round trips (after one untimed): prints each
                        round trip's milliseconds, one per line (the kernel's own completion time, for the Tab row).
Prints what execute_interactive prints for the result, like the pwsh side prints `1`.
"""
import time
import sys

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager


def main():
    mode = sys.argv[1]
    if mode == "start":
        km = KernelManager(kernel_name="python3")
        km.start_kernel()
        try:
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive("1", timeout=60)
            kc.stop_channels()
        finally:
            km.shutdown_kernel()
    elif mode == "attach":
        kc = BlockingKernelClient(connection_file=sys.argv[2])
        kc.load_connection_file()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive("1", timeout=60)
        kc.stop_channels()
    elif mode == "complete":
        kc = BlockingKernelClient(connection_file=sys.argv[2])
        kc.load_connection_file()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        for i in range(int(sys.argv[3]) + 1):
            started = time.perf_counter()
            content = kc.complete("import o", reply=True, timeout=60)["content"]
            if i > 0:
                print(f"{(time.perf_counter() - started) * 1000:.3f}")
            if "os" not in content["matches"]:
                raise SystemExit(f"no 'os' among the matches: {content}")
        kc.stop_channels()
        return
    else:
        raise SystemExit(f"unknown mode {mode}")
    if reply["content"]["status"] != "ok":
        raise SystemExit(f"execute failed: {reply['content']}")


if __name__ == "__main__":
    main()
