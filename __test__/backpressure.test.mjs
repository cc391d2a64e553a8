// A client that reads nothing must not make the server buffer the whole answer: the runtime stops
// reading the upstream once a bounded amount is waiting for the client (backpressure), on both
// protocols, and the answer arrives complete once the client reads again.
//
// The upstream here honours backpressure itself (it waits for 'drain'), so how much it managed to
// send tells how much the runtime took in. The answer is 128 MiB of text. Most of what the
// upstream manages to send sits in the kernel's socket buffers of the two loopback connections
// (Linux autotunes a receive buffer up to net.ipv4.tcp_rmem's maximum, 32 MiB by default, plus
// up to 4 MiB per send buffer); the runtime's own buffers are bounded far below that. Without
// backpressure the whole answer would be taken.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { pkg, sleep, waitFor, TEST_API_KEY, chatInput, userMessage } from './support/stack.mjs';
import { runInput } from './support/agui-harness.mjs';
import { clientQuery, CLIENT_HEADERS } from './support/graphql-harness.mjs';

const CHUNKS = 32 * 1024;
const CHUNK_TEXT = 'x'.repeat(4096);
const TOTAL_TEXT = CHUNKS * CHUNK_TEXT.length; // 128 MiB
/** What the runtime may have taken in (and so the upstream sent) while its client reads nothing. */
const MAX_TAKEN = 80 * 1024 * 1024;

let upstream;
let server;
let url;
/** Per upstream request: bytes written so far and whether the answer ended. */
const sends = [];

before(async () => {
  upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const rec = { bytes: 0, done: false };
      sends.push(rec);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < CHUNKS && !res.destroyed; i++) {
        const cand = { content: { parts: [{ text: CHUNK_TEXT }], role: 'model' }, index: 0 };
        if (i === CHUNKS - 1) cand.finishReason = 'STOP';
        const frame = `data: ${JSON.stringify({ candidates: [cand], modelVersion: 'gemini-2.5-flash' })}\r\n\r\n`;
        rec.bytes += frame.length;
        if (!res.write(frame)) await new Promise((r) => { res.once('drain', r); res.once('close', r); });
      }
      rec.done = !res.destroyed;
      res.end();
    });
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const serviceAdapter = new pkg.GoogleGenerativeAIAdapter({ apiKey: TEST_API_KEY, baseUrl: `http://127.0.0.1:${upstream.address().port}` });
  const handler = pkg.copilotRuntimeNodeHttpEndpoint({ runtime: new pkg.CopilotRuntime(), serviceAdapter, endpoint: '/api/copilotkit' });
  server = http.createServer((req, res) => handler(req, res));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${server.address().port}/api/copilotkit`;
});

after(async () => {
  server.closeAllConnections?.();
  upstream.closeAllConnections?.();
  await new Promise((r) => server.close(r));
  await new Promise((r) => upstream.close(r));
});

/** Sends `body`, pauses the response at once, and resolves with the paused response. */
function pausedRequest(body, headers) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': payload.length } }, (res) => {
      res.pause();
      resolve({ req, res });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Waits until the upstream's byte count stops growing for `quietMs`. */
async function settled(rec, quietMs = 400) {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    if (rec.bytes === last) return rec.bytes;
    last = rec.bytes;
    await sleep(quietMs);
  }
  return rec.bytes;
}

async function readAll(res) {
  res.setEncoding('utf8');
  let text = '';
  res.on('data', (c) => (text += c));
  res.resume();
  await new Promise((r, j) => {
    res.on('end', r);
    res.on('error', j);
  });
  return text;
}

async function checkProtocol(body, headers, countText) {
  const before = sends.length;
  const { res } = await pausedRequest(body, headers);
  assert.equal(res.statusCode, 200);
  const rec = await waitFor(() => sends[before], { what: 'the upstream request' });
  const taken = await settled(rec);
  if (process.env.BP_DEBUG) console.error('taken MiB', (taken / 2 ** 20).toFixed(1));
  assert.equal(rec.done, false, 'the upstream could not finish while the client read nothing');
  assert.ok(taken < MAX_TAKEN, `the runtime took in ${(taken / 2 ** 20).toFixed(1)} MiB of a ${(TOTAL_TEXT / 2 ** 20).toFixed(0)} MiB answer while its client read nothing`);
  // Reading again resumes the upstream; nothing was lost.
  const text = await readAll(res);
  assert.equal(rec.done, true);
  assert.equal(countText(text), TOTAL_TEXT);
}

test('AG-UI: a client that reads nothing holds the upstream back; the answer then arrives whole', { timeout: 60000 }, async () => {
  const body = { method: 'agent/run', params: { agentId: 'default' }, body: runInput({ messages: [{ id: 'u1', role: 'user', content: 'long' }] }) };
  await checkProtocol(body, { 'content-type': 'application/json' }, (sse) => {
    let n = 0;
    for (const line of sse.split('\n')) {
      if (!line.startsWith('data: ')) continue;
      const ev = JSON.parse(line.slice(6));
      if (ev.type === 'TEXT_MESSAGE_CONTENT') n += ev.delta.length;
      if (ev.type === 'RUN_ERROR') assert.fail(`RUN_ERROR: ${ev.message}`);
    }
    return n;
  });
});

test('GraphQL: a client that reads nothing holds the upstream back; the answer then arrives whole', { timeout: 60000 }, async () => {
  const data = chatInput({ messages: [userMessage('long')] });
  const body = { operationName: 'generateCopilotResponse', query: clientQuery('generateCopilotResponse'), variables: { data, properties: {} } };
  await checkProtocol(body, CLIENT_HEADERS, (multipart) => {
    // Every streamed content chunk is a JSON string of 4096 x's inside an incremental payload.
    const matches = multipart.match(/"x{4096}"/g) ?? [];
    return matches.length * CHUNK_TEXT.length;
  });
});
