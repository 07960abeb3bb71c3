"""Execute round trips against an already running kernel (its connection file), timed inside Python.

cmd "jc":   jupyter_client BlockingKernelClient.execute_interactive (output_hook counts, so nothing is printed).
cmd "bare": the floor: a DEALER shell + SUB iopub with pyzmq, hand-signed execute_request, wait for the
            execute_reply AND the matching status idle. Minimal parsing, no signature check.
cmd "flood_jc": one execute_interactive of code that prints, counting newlines of stream output (then, untimed,
            reads the kernel-side loop time the cell stored in loop_variable, if given).
Each command connects, gets ready, warms up, measures, and disconnects, so clients never overlap.
"""
import hashlib
import hmac
import json
import time
import uuid

import zmq

from common import serve, log


def _jc_client(connection_file):
    from jupyter_client import BlockingKernelClient
    kc = BlockingKernelClient()
    kc.load_connection_file(connection_file)
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return kc


def jc(connection_file, code="1", warmup=20, n=100):
    kc = _jc_client(connection_file)
    try:
        outputs = [0]

        def hook(msg):
            outputs[0] += 1

        for _ in range(warmup):
            kc.execute_interactive(code, output_hook=hook, timeout=30)
        durations = []
        for _ in range(n):
            t0 = time.perf_counter()
            reply = kc.execute_interactive(code, output_hook=hook, timeout=30)
            durations.append(time.perf_counter() - t0)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"execute failed: {reply['content']}")
        return {"seconds": durations, "outputs": outputs[0]}
    finally:
        kc.stop_channels()


def flood_jc(connection_file, code, timeout=300, loop_variable=None):
    kc = _jc_client(connection_file)
    try:
        count = {"newlines": 0, "stream_msgs": 0}

        def hook(msg):
            if msg["header"]["msg_type"] == "stream":
                count["stream_msgs"] += 1
                count["newlines"] += msg["content"]["text"].count("\n")

        # The same untimed `pass` our side runs after connecting, so both floods start from the same kernel state.
        kc.execute_interactive("pass", output_hook=lambda m: None, timeout=30)
        t0 = time.perf_counter()
        reply = kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        seconds = time.perf_counter() - t0
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"execute failed: {reply['content']}")
        result = {"seconds": seconds, **count}
        if loop_variable:
            # Untimed: what the kernel measured of its own loop (the cell stores it in this variable).
            printed = []
            kc.execute_interactive(f"print({loop_variable})", timeout=30,
                                   output_hook=lambda m: printed.append(m["content"]["text"]) if m["header"]["msg_type"] == "stream" else None)
            result["kernel_loop"] = float("".join(printed))
        return result
    finally:
        kc.stop_channels()


class _Bare:
    DELIM = b"<IDS|MSG>"

    def __init__(self, connection_file):
        with open(connection_file) as f:
            info = json.load(f)
        self.key = info["key"].encode()
        self.session = uuid.uuid4().hex
        self.ctx = zmq.Context()
        ip, transport = info["ip"], info.get("transport", "tcp")
        self.shell = self.ctx.socket(zmq.DEALER)
        self.shell.linger = 0
        self.shell.connect(f"{transport}://{ip}:{info['shell_port']}")
        self.iopub = self.ctx.socket(zmq.SUB)
        self.iopub.linger = 0
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(f"{transport}://{ip}:{info['iopub_port']}")
        self.poller = zmq.Poller()
        self.poller.register(self.shell, zmq.POLLIN)
        self.poller.register(self.iopub, zmq.POLLIN)

    def close(self):
        self.shell.close(0)
        self.iopub.close(0)
        self.ctx.term()

    def send(self, msg_type, content):
        msg_id = uuid.uuid4().hex
        header = json.dumps({"msg_id": msg_id, "session": self.session, "username": "bench", "msg_type": msg_type,
                             "version": "5.3", "date": "2024-01-01T00:00:00.000000Z"}).encode()
        parts = [header, b"{}", b"{}", json.dumps(content).encode()]
        h = hmac.new(self.key, digestmod=hashlib.sha256)
        for p in parts:
            h.update(p)
        self.shell.send_multipart([self.DELIM, h.hexdigest().encode()] + parts)
        return msg_id

    @staticmethod
    def _split(frames):
        i = frames.index(_Bare.DELIM)
        return frames[i + 2:i + 6]  # header, parent, metadata, content

    def roundtrip(self, msg_type, content, reply_type, timeout=30.0):
        """Send a request; wait for its reply on shell and its status idle on IOPub."""
        msg_id = self.send(msg_type, content)
        got_reply = got_idle = False
        deadline = time.perf_counter() + timeout
        while not (got_reply and got_idle):
            ms = max(0, int((deadline - time.perf_counter()) * 1000))
            events = dict(self.poller.poll(ms))
            if not events:
                raise TimeoutError(f"no {reply_type}/idle within {timeout} s")
            if self.shell in events:
                header, parent, _, _ = self._split(self.shell.recv_multipart())
                if json.loads(parent).get("msg_id") == msg_id and json.loads(header)["msg_type"] == reply_type:
                    got_reply = True
            if self.iopub in events:
                header, parent, _, content = self._split(self.iopub.recv_multipart())
                if json.loads(header)["msg_type"] == "status" and json.loads(parent).get("msg_id") == msg_id \
                        and json.loads(content)["execution_state"] == "idle":
                    got_idle = True
        return msg_id

    def wait_ready(self, timeout=60.0):
        """kernel_info until a reply AND its idle arrive: proves the SUB is connected (what wait_for_ready does)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            try:
                self.roundtrip("kernel_info_request", {}, "kernel_info_reply", timeout=1.0)
                return
            except TimeoutError:
                continue
        raise TimeoutError("kernel not ready")


def bare(connection_file, code="1", warmup=20, n=100):
    b = _Bare(connection_file)
    try:
        b.wait_ready()
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        for _ in range(warmup):
            b.roundtrip("execute_request", content, "execute_reply")
        durations = []
        cpu0 = time.process_time()  # this process, all threads (libzmq's I/O thread included)
        for _ in range(n):
            t0 = time.perf_counter()
            b.roundtrip("execute_request", content, "execute_reply")
            durations.append(time.perf_counter() - t0)
        return {"seconds": durations, "cpu_seconds": time.process_time() - cpu0}
    finally:
        b.close()


if __name__ == "__main__":
    serve({"jc": jc, "bare": bare, "flood_jc": flood_jc})
