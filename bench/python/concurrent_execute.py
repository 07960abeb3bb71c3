"""Concurrent executes through jupyter_client's AsyncKernelClient, for the `scale` row's side-by-side.

cmd "connect": one AsyncKernelClient per connection file (shell + IOPub), each waited ready (untimed).
cmd "round":   `n` executes spread round-robin over the connected kernels, all at once with asyncio.gather: per
               kernel, its requests are sent and then its shell replies and IOPub outputs are read, routed by parent
               msg_id, until every request has its execute_reply and its status idle. Returns the wall time from the
               first send to the last completion, and every reply checked against the value it must show (the same
               code as ours: `k * 1000000 + r`, odd requests printed).
cmd "close":   stops the channels.
One event loop lives for the helper's life, so the clients' sockets stay on it between rounds.
"""
import asyncio
import time
from queue import Empty

from common import serve, on_exit

_loop = asyncio.new_event_loop()
_clients = []


@on_exit
def _close_all():
    close()


def connect(connection_files, timeout=60):
    from jupyter_client.asynchronous import AsyncKernelClient

    async def one(path):
        kc = AsyncKernelClient()
        kc.load_connection_file(path)
        kc.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        await kc.wait_for_ready(timeout=timeout)
        return kc

    async def main():
        return await asyncio.gather(*(one(p) for p in connection_files))

    _clients.extend(_loop.run_until_complete(main()))
    return {"connected": len(_clients)}


async def _drain(kc):
    # Messages another client's executes published on the shared IOPub (ours, between rounds) are not this round's.
    while True:
        try:
            await kc.get_iopub_msg(timeout=0)
        except (Empty, asyncio.TimeoutError, TimeoutError):
            return


async def _kernel(kc, kernel, requests, timeout):
    pending = {}
    for r in requests:
        value = kernel * 1000000 + r
        code = f"print({value})" if r % 2 == 1 else f"{value}"
        pending[kc.execute(code)] = (r, str(value) + ("\n" if r % 2 == 1 else ""))
    replies, idle, text = {}, set(), {m: "" for m in pending}

    async def shell():
        while len(replies) < len(pending):
            msg = await kc.get_shell_msg(timeout=timeout)
            parent = msg["parent_header"].get("msg_id")
            if parent in pending:
                replies[parent] = msg["content"]["status"]

    async def iopub():
        while len(idle) < len(pending):
            msg = await kc.get_iopub_msg(timeout=timeout)
            parent = msg["parent_header"].get("msg_id")
            if parent not in pending:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                text[parent] += msg["content"]["text"]
            elif kind == "execute_result":
                text[parent] += msg["content"]["data"].get("text/plain", "")
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle.add(parent)

    await asyncio.gather(shell(), iopub())
    wrong = [f"kernel {kernel} request {r}: status {replies[m]}, got {text[m]!r}, expected {want!r}"
             for m, (r, want) in pending.items() if replies[m] != "ok" or text[m] != want]
    return len(pending), wrong


def round(n=200, first_request=0, timeout=60):
    async def main():
        await asyncio.gather(*(_drain(kc) for kc in _clients))
        spread = len(_clients)
        per_kernel = {k: [] for k in range(spread)}
        for i in range(n):
            per_kernel[i % spread].append(first_request + i)
        t0 = time.perf_counter()
        results = await asyncio.gather(*(_kernel(_clients[k], k, reqs, timeout) for k, reqs in per_kernel.items()))
        seconds = time.perf_counter() - t0
        wrong = [w for _, ws in results for w in ws]
        return {"seconds": seconds, "executes": [c for c, _ in results], "wrong": len(wrong), "first_wrong": wrong[0] if wrong else None}

    return _loop.run_until_complete(main())


def close():
    while _clients:
        try:
            _clients.pop().stop_channels()
        except Exception:
            pass
    return {}


if __name__ == "__main__":
    serve({"connect": connect, "round": round, "close": close})
