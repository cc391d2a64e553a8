// Start-up cost: what `require()` and a first Node request load. Each of these modules costs
// milliseconds on the first answer of a fresh server (undici ≈ 10 ms, node:crypto ≈ 3 ms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const child = `
const http = require('node:http');
const loaded = (name) => process.moduleLoadList.some((m) => m.includes(name));
const ck = require(${JSON.stringify(path.join(ROOT, 'index.js'))});
const atRequire = { crypto: loaded('internal/crypto/'), undici: loaded('undici') };
const server = http.createServer((req, res) => ck.copilotRuntimeNodeHttpEndpoint({
  runtime: new ck.CopilotRuntime(),
  serviceAdapter: new ck.GoogleGenerativeAIAdapter({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9' }),
  endpoint: '/api/copilotkit',
})(req, res));
server.listen(0, '127.0.0.1', () => {
  const body = JSON.stringify({ method: 'info' });
  const req = http.request({ port: server.address().port, path: '/api/copilotkit', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
    res.resume();
    res.on('end', () => {
      process.stdout.write(JSON.stringify({ status: res.statusCode, atRequire, afterRequest: { undici: loaded('undici') } }));
      server.close();
    });
  });
  req.end(body);
});
`;

test('require() loads neither node:crypto nor undici, and a Node request does not load undici', () => {
  // A script file, not \`node -e\` (which loads node:crypto itself).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ck-startup-'));
  const file = path.join(dir, 'server.js');
  fs.writeFileSync(file, child);
  let out;
  try {
    out = JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(out.status, 200);
  assert.deepEqual(out.atRequire, { crypto: false, undici: false });
  assert.deepEqual(out.afterRequest, { undici: false });
});
