// The addon never keeps Node alive on its own and never takes it down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function runNode(script, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--unhandled-rejections=strict', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, out, err, ms: performance.now() - started });
    });
  });
}

test('a process that served requests exits promptly once its server is closed', async () => {
  const script = `
    const http = require('node:http');
    const { CopilotRuntime, GoogleGenerativeAIAdapter, copilotRuntimeNodeHttpEndpoint } = require('./index.js');
    const runtime = new CopilotRuntime();
    const serviceAdapter = new GoogleGenerativeAIAdapter();
    const server = http.createServer((req, res) => copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter, endpoint: '/api/copilotkit' })(req, res));
    server.listen(0, '127.0.0.1', async () => {
      const url = 'http://127.0.0.1:' + server.address().port + '/api/copilotkit';
      for (let i = 0; i < 3; i++) {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'info' }) });
        await r.text();
      }
      server.closeAllConnections();
      server.close(() => { globalThis.closedAt = performance.now(); console.log('closed'); });
    });
  `;
  const r = await runNode(script);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /closed/);
});

test('loading the addon and building a runtime does not keep the process alive', async () => {
  const r = await runNode(`
    const { CopilotRuntime, GoogleGenerativeAIAdapter, copilotRuntimeNextJSAppRouterEndpoint } = require('./index.js');
    const runtime = new CopilotRuntime({ onError: () => { throw new Error('boom'); } });
    copilotRuntimeNextJSAppRouterEndpoint({ runtime, serviceAdapter: new GoogleGenerativeAIAdapter(), endpoint: '/x' })
      .handleRequest(new Request('http://localhost/x', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"method":"info"}' }))
      .then((res) => res.text()).then(() => console.log('done'));
  `);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /done/);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
});
