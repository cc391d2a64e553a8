// A client asking for `Connection: close` gets it on streamed answers too; the host, not the
// runtime, decides about keep-alive (a forced keep-alive broke the next request on that socket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { MockGemini } = require('./support/mock-gemini.js');
const { CopilotRuntime, GoogleGenerativeAIAdapter, copilotRuntimeNodeHttpEndpoint } = require('../index.js');

test('two streamed runs with Connection: close over a keep-alive agent both succeed', async (t) => {
  const mock = await MockGemini.start();
  const runtime = new CopilotRuntime();
  const serviceAdapter = new GoogleGenerativeAIAdapter({ apiKey: 'test-key', baseUrl: mock.url });
  const server = http.createServer((req, res) => copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter, endpoint: '/api' })(req, res));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    server.close();
    await mock.close();
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const runOnce = (threadId) =>
    new Promise((resolve, reject) => {
      mock.enqueue(MockGemini.text(['ok']));
      const body = JSON.stringify({ method: 'agent/run', params: { agentId: 'default' }, body: { threadId, runId: `r-${threadId}`, messages: [{ id: 'u', role: 'user', content: 'hi' }], tools: [], context: [] } });
      const req = http.request({ host: '127.0.0.1', port: server.address().port, path: '/api', method: 'POST', agent, headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const first = await runOnce('t1');
  const second = await runOnce('t2');
  for (const r of [first, second]) {
    assert.equal(r.status, 200);
    assert.equal(r.connection, 'close');
    assert.match(r.text, /"type":"RUN_FINISHED"/);
  }
  agent.destroy();
});
