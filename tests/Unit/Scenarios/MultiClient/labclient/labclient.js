#!/usr/bin/env node
// A JupyterLab user, with JupyterLab's own client library (@jupyterlab/services) in Node: the same kernel connection,
// execute, restart and sessions code JupyterLab runs in the browser. One JSON object per line on stdout.
//
//   node labclient.js URL TOKEN exec KERNEL_ID CODE    -> {"event":"started"} when its cell is busy, then {"status","stdout","ename"}
//   node labclient.js URL TOKEN restart KERNEL_ID      -> {"status":"ok"} once the server restarted the kernel (REST)
//   node labclient.js URL TOKEN sessions               -> {"sessions":[{"name","path","kernel"}]}
'use strict';
const { ServerConnection, KernelManager, KernelAPI, SessionAPI } = require('@jupyterlab/services');
const WebSocket = require('ws');

function print(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

async function main() {
  const [url, token, verb, ...rest] = process.argv.slice(2);
  const baseUrl = url.endsWith('/') ? url : url + '/';
  const settings = ServerConnection.makeSettings({
    baseUrl, wsUrl: baseUrl.replace(/^http/, 'ws'), token, appendToken: true,
    WebSocket, fetch, Request, Headers,
  });
  if (verb === 'restart') {
    await KernelAPI.restartKernel(rest[0], settings);
    print({ status: 'ok' });
    return;
  }
  if (verb === 'sessions') {
    const sessions = await SessionAPI.listRunning(settings);
    print({ sessions: sessions.map(s => ({ name: s.name, path: s.path, kernel: s.kernel && s.kernel.id })) });
    return;
  }
  if (verb !== 'exec') throw new Error('unknown verb ' + verb);
  const [kernelId, code] = rest;
  const manager = new KernelManager({ serverSettings: settings });
  await manager.ready;
  const kernel = manager.connectTo({ model: { id: kernelId, name: '' } });
  const result = { status: null, stdout: '', ename: null, started: false };
  const future = kernel.requestExecute({ code, stop_on_error: true });
  future.onIOPub = msg => {
    const type = msg.header.msg_type;
    if (type === 'status' && msg.content.execution_state === 'busy' && !result.started) {
      result.started = true;
      print({ event: 'started' });
    } else if (type === 'stream') {
      result.stdout += msg.content.text;
    } else if (type === 'error') {
      result.ename = msg.content.ename;
    }
  };
  try {
    const reply = await future.done;
    result.status = reply.content.status;
    if (reply.content.status === 'error') result.ename = result.ename || reply.content.ename;
  } catch (e) {
    result.status = 'failed: ' + (e && e.message ? e.message : String(e));
  }
  print(result);
  kernel.dispose();
  manager.dispose();
}

main().then(() => process.exit(0), e => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
