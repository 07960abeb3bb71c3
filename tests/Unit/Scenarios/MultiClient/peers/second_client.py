"""A second user of a Jupyter Server kernel, as JupyterLab would be: its own WebSocket (legacy JSON framing, its
own session id) for execute, and the server's REST API for interrupt and restart.

    second_client.py URL TOKEN KERNEL_ID exec CODE     -> one JSON line: {"status", "stdout", "ename", "started"}
    second_client.py URL TOKEN KERNEL_ID restart       -> one JSON line: {"status": "ok"} once the server restarted it
    second_client.py URL TOKEN KERNEL_ID interrupt     -> one JSON line: {"status": "ok"}

On exec it prints {"event": "started"} as soon as its request is busy on IOPub, so the test knows it is running.
"""
import json
import sys
import uuid
from datetime import datetime, timezone

from tornado import httpclient, ioloop, websocket


def header(msg_type, session):
    return {"msg_id": uuid.uuid4().hex, "session": session, "username": "second-user", "msg_type": msg_type,
            "version": "5.3", "date": datetime.now(timezone.utc).isoformat()}


async def rest(url, token, path):
    client = httpclient.AsyncHTTPClient()
    response = await client.fetch(url + path, method="POST", body="{}", headers={"Authorization": "token " + token},
                                  request_timeout=120)
    return response.code


async def execute(url, token, kernel_id, code):
    session = uuid.uuid4().hex
    ws_url = url.replace("http", "ws", 1) + f"api/kernels/{kernel_id}/channels?session_id={session}"
    conn = await websocket.websocket_connect(httpclient.HTTPRequest(ws_url, headers={"Authorization": "token " + token}))
    hdr = header("execute_request", session)
    msg = {"header": hdr, "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
           "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                       "allow_stdin": False, "stop_on_error": True}}
    await conn.write_message(json.dumps(msg))
    result = {"status": None, "stdout": "", "ename": None, "started": False}
    idle = False
    while result["status"] is None or not idle:
        raw = await conn.read_message()
        if raw is None:
            result["status"] = result["status"] or "connection-closed"
            break
        m = json.loads(raw)
        if m.get("parent_header", {}).get("msg_id") != hdr["msg_id"]:
            continue
        t = m["header"]["msg_type"]
        if m["channel"] == "iopub":
            if t == "status" and m["content"]["execution_state"] == "busy" and not result["started"]:
                result["started"] = True
                print(json.dumps({"event": "started"}), flush=True)
            elif t == "status" and m["content"]["execution_state"] == "idle":
                idle = True
            elif t == "stream":
                result["stdout"] += m["content"]["text"]
            elif t == "error":
                result["ename"] = m["content"]["ename"]
        elif t == "execute_reply":
            result["status"] = m["content"]["status"]
            if result["status"] == "error":
                result["ename"] = result["ename"] or m["content"].get("ename")
    conn.close()
    return result


async def main():
    url, token, kernel_id, verb = sys.argv[1:5]
    if not url.endswith("/"):
        url += "/"
    if verb == "exec":
        out = await execute(url, token, kernel_id, sys.argv[5])
    elif verb in ("restart", "interrupt"):
        code = await rest(url, token, f"api/kernels/{kernel_id}/{verb}")
        out = {"status": "ok" if code in (200, 204) else f"http {code}"}
    else:
        raise SystemExit("unknown verb " + verb)
    print(json.dumps(out), flush=True)


ioloop.IOLoop.current().run_sync(main, timeout=180)
