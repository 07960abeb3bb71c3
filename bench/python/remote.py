"""Remote round trips through a real jupyter-server (the reference side of the `remote` benchmark).

cmd "start_server": starts `/usr/bin/python3 -m jupyter_server` on 127.0.0.1 with a random token, its root, runtime,
                    data and config dirs under the given temp dir (one server per dir; tls=True: https with a
                    throwaway CA made by openssl, returned as "ca"); waits for /api/status. Stopped on exit (EOF,
                    SIGTERM, crash) with the kernels it runs (its process group).
cmd "bare_ws":      the floor: a bare tornado WebSocket client on /api/kernels/{id}/channels (legacy JSON framing):
                    send execute_request with "channel": "shell", wait for the execute_reply AND the status idle whose
                    parent is the request. Connects, gets ready (kernel_info + idle), warms up, measures, disconnects.
"""
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

from common import serve, log, on_exit

_server = {}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _throwaway_tls(root):
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (openssl CLI), under root/pki."""
    pki = os.path.join(root, "pki")
    os.makedirs(pki, exist_ok=True)
    p = lambda name: os.path.join(pki, name)
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=jk bench CA", "-keyout", p("ca.key"),
        "-out", p("ca.pem"), "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", p("server.key"), "-out", p("server.csr"))
    with open(p("ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2",
        "-extfile", p("ext.cnf"), "-out", p("server.pem"))
    return p("server.pem"), p("server.key"), p("ca.pem")


def start_server(root, timeout=60, tls=False):
    """Starts (once per root) a jupyter-server; tls=True serves https with a throwaway CA (returned as "ca")."""
    if root in _server:
        s = _server[root]
        return {k: s[k] for k in ("url", "token", "pid", "ca")}
    for d in ("root", "runtime", "data", "config"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    port = _free_port()
    token = secrets.token_hex(24)
    env = dict(os.environ)
    env.update(JUPYTER_RUNTIME_DIR=os.path.join(root, "runtime"), JUPYTER_DATA_DIR=os.path.join(root, "data"),
               JUPYTER_CONFIG_DIR=os.path.join(root, "config"), JUPYTER_PLATFORM_DIRS="0")
    for k in ("JUPYTER_GATEWAY_URL", "PYTHONPATH", "PYTHONHOME"):
        env.pop(k, None)
    args = ["/usr/bin/python3", "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--ServerApp.token={token}", f"--ServerApp.root_dir={os.path.join(root, 'root')}",
            "--ServerApp.open_browser=False"]
    ca = None
    if tls:
        cert, key, ca = _throwaway_tls(root)
        args += [f"--ServerApp.certfile={cert}", f"--ServerApp.keyfile={key}"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    logf = open(os.path.join(root, "server.log"), "wb")
    p = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/"
    _server[root] = dict(url=url, token=token, pid=p.pid, proc=p, log=logf, ca=ca)
    ctx = None
    if tls:
        import ssl
        ctx = ssl.create_default_context(cafile=ca)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"jupyter_server exited with {p.returncode}; see {root}/server.log")
        try:
            req = urllib.request.Request(url + "api/status", headers={"Authorization": "token " + token})
            with urllib.request.urlopen(req, timeout=2, context=ctx) as r:
                if r.status == 200:
                    return {"url": url, "token": token, "pid": p.pid, "ca": ca}
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError("jupyter_server did not answer /api/status")


@on_exit
def _stop_servers():
    for s in _server.values():
        p = s["proc"]
        try:
            os.killpg(p.pid, signal.SIGTERM)  # the server and the kernels it started (same session)
        except ProcessLookupError:
            pass
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(5)
        s["log"].close()


class _Ws:
    def __init__(self, conn, session):
        self.conn = conn
        self.session = session

    async def roundtrip(self, msg_type, content, reply_type, timeout=30.0):
        msg_id = uuid.uuid4().hex
        msg = {"header": {"msg_id": msg_id, "session": self.session, "username": "bench", "msg_type": msg_type,
                          "version": "5.3", "date": "2024-01-01T00:00:00.000000Z"},
               "parent_header": {}, "metadata": {}, "content": content, "buffers": [], "channel": "shell"}
        await self.conn.write_message(json.dumps(msg))
        got_reply = got_idle = False
        deadline = time.perf_counter() + timeout
        while not (got_reply and got_idle):
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"no {reply_type}/idle within {timeout} s")
            text = await asyncio.wait_for(self.conn.read_message(), left)
            if text is None:
                raise ConnectionError("websocket closed")
            m = json.loads(text)
            if m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            t = m["header"]["msg_type"]
            if t == reply_type:
                got_reply = True
            elif t == "status" and m["content"].get("execution_state") == "idle":
                got_idle = True
        return msg_id


async def _bare_ws(url, token, kernel_id, code, warmup, n, ca=None):
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    session = uuid.uuid4().hex
    ws_url = url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + f"api/kernels/{kernel_id}/channels?session_id={session}"
    conn = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": "token " + token}, ca_certs=ca),
                                   max_message_size=256 * 1024 * 1024)
    try:
        ws = _Ws(conn, session)
        deadline = time.perf_counter() + 60
        while True:  # ready: a kernel_info reply and its idle (IOPub proven)
            try:
                await ws.roundtrip("kernel_info_request", {}, "kernel_info_reply", timeout=2.0)
                break
            except (TimeoutError, asyncio.TimeoutError):
                if time.perf_counter() > deadline:
                    raise
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        for _ in range(warmup):
            await ws.roundtrip("execute_request", content, "execute_reply")
        durations = []
        for _ in range(n):
            t0 = time.perf_counter()
            await ws.roundtrip("execute_request", content, "execute_reply")
            durations.append(time.perf_counter() - t0)
        return {"seconds": durations}
    finally:
        conn.close()
        await asyncio.sleep(0.05)  # let the close handshake go out before the loop stops


def bare_ws(url, token, kernel_id, code="1", warmup=10, n=30, ca=None):
    return asyncio.run(_bare_ws(url, token, kernel_id, code, warmup, n, ca))


if __name__ == "__main__":
    serve({"start_server": start_server, "bare_ws": bare_ws})
