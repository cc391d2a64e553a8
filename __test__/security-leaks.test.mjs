// No API key, stack trace or server path in any response, nor in the log below debug level (the
// README's promise). The server runs in a child process (support/leaks-server.mjs) with
// COPILOT_RUNTIME_LOG=info, so that its whole stdout and stderr — the Rust `tracing` log included —
// is captured, and it is driven through a battery of failures on BOTH protocols (AG-UI single route
// and GraphQL): upstream 400/401/403/404/429/500/503 whose error bodies echo the key, a server path
// and a stack frame (Gemini echoes request data in some errors), an upstream connection reset
// mid-stream, garbage SSE, an in-band upstream error, a server-side action handler that throws,
// a middleware.onBeforeRequest that throws, malformed requests, and remote endpoints that cannot be
// reached or answer 500 with a traceback. Every response (head and body) and the child's output
// must be free of the key, the repo path and V8 stack frames; every failure must reach `onError`,
// and the log must show the failures it does log (so this test notices if logging stopped).
//
// What the upstream echoes uses a distinctive path and frame (`ECHO_PATH`, `ECHO_FRAME`), so that
// text the runtime relays from the upstream can be told apart from a path or stack of its own: the
// strict checks ignore those two strings, and the `todo` tests at the end list where they are relayed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { MockGemini, REPO_ROOT, findLeaks, waitFor } from './support/stack.mjs';
import { clientQuery, CLIENT_HEADERS } from './support/graphql-harness.mjs';
import { runInput, newId } from './support/agui-harness.mjs';

/** The key the child is configured with (GOOGLE_API_KEY and the adapters' `apiKey`). */
const KEY = 'AIza-crrs-leak-probe-4b1e8a2d';
const SECRETS = [KEY];
const CHILD = fileURLToPath(new URL('./support/leaks-server.mjs', import.meta.url));
const DEBUG = Boolean(process.env.LEAKS_DEBUG);

/** What a careless upstream echoes: the key, a server path and a stack frame. */
const ECHO_PATH = `${REPO_ROOT}/upstream-echo/credentials.env`;
const ECHO_FRAME = `at upstreamEcho (${REPO_ROOT}/upstream-echo/handler.js:12:34)`;
const ECHO = `request POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?key=${KEY} rejected; see ${ECHO_PATH}\n    ${ECHO_FRAME}`;
/** The text with the upstream's own path and frame blanked out (what is left is the runtime's doing). */
const withoutEcho = (text) => text.replaceAll(ECHO_PATH, '<echoed path>').replaceAll(ECHO_FRAME, '<echoed frame>');

let mock;
let failingRemote;
let child;
let base;
let stdout = '';
let stderr = '';
let childExit;
/** Every response: `{ name, status, head, body }`. */
const responses = [];
/** Server-side failures after which the runtime logged nothing at info level (see the todo test at the end). */
const silentFailures = [];

/** A port nothing listens on (bound, then closed). */
async function deadPort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  mock = await MockGemini.start({ demo: false });
  // A remote endpoint that fails loudly: its answers carry the key, a path and a traceback.
  failingRemote = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(500, { 'content-type': 'text/plain', 'x-debug-key': KEY });
      res.end(`Internal Server Error: ${ECHO}`);
    });
  });
  await new Promise((r) => failingRemote.listen(0, '127.0.0.1', r));
  const env = {
    ...process.env,
    COPILOT_RUNTIME_LOG: 'info',
    GOOGLE_API_KEY: KEY,
    LEAKS_API_KEY: KEY,
    LEAKS_MOCK_URL: mock.url,
    LEAKS_UNREACHABLE_URL: `http://127.0.0.1:${await deadPort()}/copilotkit`,
    LEAKS_FAILING_REMOTE_URL: `http://127.0.0.1:${failingRemote.address().port}/copilotkit`,
    COPILOT_RUNTIME_RS_REMOTE_RETRY_MS: '5',
  };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  child = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (d) => void (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => void (stderr += d));
  childExit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await waitFor(() => stdout.match(/LISTENING (\d+)/)?.[1], { timeoutMs: 10_000, what: `the child to listen (stderr: ${stderr})` });
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await mock?.close();
  if (failingRemote) await new Promise((r) => failingRemote.close(r));
});

/** One raw request to the child; the response is recorded in `responses` and returned. */
function send(name, path, { method = 'POST', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const h = { connection: 'close', ...headers };
    if (payload) h['content-length'] = payload.length;
    const req = http.request(`${base}${path}`, { method, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const head = [`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}`];
        for (let i = 0; i < res.rawHeaders.length; i += 2) head.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        const r = { name, status: res.statusCode, head: head.join('\r\n'), body: Buffer.concat(chunks).toString('utf8') };
        responses.push(r);
        if (DEBUG) console.log(`${name} → ${r.status}\n${r.body.slice(0, 2000)}`);
        resolve(r);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

const AGUI_HEADERS = { 'content-type': 'application/json', accept: 'text/event-stream' };
const MUTATION = clientQuery('generateCopilotResponse');

/** An AG-UI single-route `agent/run` in which the user says `content`. */
const aguiRun = (name, path, content = 'hi') =>
  send(`AG-UI ${name}`, path, {
    headers: AGUI_HEADERS,
    body: { method: 'agent/run', params: { agentId: 'default' }, body: runInput({ messages: [{ id: newId(), role: 'user', content }] }) },
  });

/** A GraphQL `generateCopilotResponse` as the 1.10.6 client sends it. */
const gqlRun = (name, path, content = 'hi') =>
  send(`GraphQL ${name}`, path, {
    headers: CLIENT_HEADERS,
    body: {
      operationName: 'generateCopilotResponse',
      query: MUTATION,
      variables: {
        data: {
          frontend: { actions: [], url: 'http://localhost:3000/' },
          threadId: `thread-${newId()}`,
          messages: [{ id: `msg-${newId()}`, createdAt: new Date().toISOString(), textMessage: { role: 'user', content } }],
          metadata: { requestType: 'Chat' },
        },
      },
    },
  });

const PROTOCOLS = { 'AG-UI': aguiRun, GraphQL: gqlRun };

/**
 * One failing request: `answers` are queued on the mock for it (what is left is dropped after),
 * and it must call upstream `upstreamCalls` times (when given). Waits for the failure's `onError`
 * line on the child's stdout (the application's log), checks the response for leaks and returns
 * it with `logged(re)`, which waits for a runtime log line matching `re` written since the request.
 * `clientError`: a malformed request, which needs no log line.
 */
async function failing(run, { answers = [], upstreamCalls, onError = true, clientError = false } = {}) {
  mock.queue.length = 0;
  mock.enqueue(...answers);
  const calls = mock.requests.length;
  const out = stdout.length;
  const err = stderr.length;
  let r;
  try {
    r = await run();
  } finally {
    mock.queue.length = 0;
  }
  if (onError) await waitFor(() => stdout.slice(out).includes('onError: '), { timeoutMs: 5000, what: `the onError line for ${r.name}` });
  await new Promise((res) => setTimeout(res, 20));
  const log = stderr.slice(err);
  if (DEBUG) console.log(`LOG during ${r.name}:\n${log}\nSTDOUT:\n${stdout.slice(out)}`);
  if (upstreamCalls !== undefined) assert.equal(mock.requests.length - calls, upstreamCalls, `${r.name}: upstream calls`);
  for (const req of mock.requests.slice(calls)) assert.equal(req.headers['x-goog-api-key'], KEY, 'the key is really in use');
  if (!clientError && !/ (WARN|ERROR) /.test(log)) silentFailures.push(r.name);
  assertClean(r);
  const logged = (re) => waitFor(() => re.test(stderr.slice(err)), { timeoutMs: 3000, what: `a log line matching ${re} after ${r.name} (log: ${stderr.slice(err)})` });
  return { r, logged };
}

/** The run failed (so that a case which silently succeeded is noticed). */
function assertFailed(r) {
  if (r.name.startsWith('AG-UI')) assert.match(r.body, /"type":"RUN_ERROR"/, `${r.name}: ${r.body.slice(0, 500)}`);
  else assert.match(r.body, /"FailedResponseStatus"|"errors":\[/, `${r.name}: ${r.body.slice(0, 500)}`);
}

const describeLeaks = (leaks) => leaks.map((l) => `${l.what}${l.where ? ` in the ${l.where}` : ''}: ${l.snippet}`).join('; ');

/** Neither the head nor the body has the key, the repo path or a stack frame (upstream echo aside). */
function assertClean(r) {
  const leaks = [
    ...findLeaks(withoutEcho(r.head), { secrets: SECRETS }).map((l) => ({ where: 'head', ...l })),
    ...findLeaks(withoutEcho(r.body), { secrets: SECRETS }).map((l) => ({ where: 'body', ...l })),
  ];
  assert.deepEqual(leaks, [], `${r.name} → ${r.status} leaked ${describeLeaks(leaks)}`);
}

// ---------------------------------------------------------------------------------------------
// Upstream HTTP errors whose bodies echo the key, a path and a stack frame

const UPSTREAM = [
  [400, 'INVALID_ARGUMENT', false],
  [401, 'UNAUTHENTICATED', false],
  [403, 'PERMISSION_DENIED', false],
  [404, 'NOT_FOUND', false],
  [429, 'RESOURCE_EXHAUSTED', true],
  [500, 'INTERNAL', true],
  [503, 'UNAVAILABLE', true],
];

const echoingError = (code, status) =>
  MockGemini.error(
    code,
    `${status}: ${ECHO}`,
    status,
    [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'key', description: `API key ${KEY} read from ${ECHO_PATH}` }] }],
    { headers: { 'retry-after-ms': '1', 'x-goog-request-key': KEY } },
  );

for (const [code, status, retried] of UPSTREAM) {
  for (const [protocol, run] of Object.entries(PROTOCOLS)) {
    test(`${protocol}: upstream ${code} ${status} echoing the key, a path and a stack frame`, async () => {
      const { r, logged } = await failing(() => run(`upstream ${code}`, '/api/main'), {
        answers: [0, 1, 2].map(() => echoingError(code, status)),
        upstreamCalls: retried ? 3 : 1,
      });
      assertFailed(r);
      if (retried) await logged(new RegExp(`WARN gemini: retrying after error: [^]*?status=Some\\(${code}\\)`));
    });
  }
}

for (const [protocol, run] of Object.entries(PROTOCOLS)) {
  test(`${protocol}: upstream 401 with the key from GOOGLE_API_KEY (no apiKey option)`, async () => {
    const { r } = await failing(() => run('upstream 401 (GOOGLE_API_KEY)', '/api/env'), { answers: [echoingError(401, 'UNAUTHENTICATED')], upstreamCalls: 1 });
    assertFailed(r);
  });
}

// ---------------------------------------------------------------------------------------------
// Broken upstream streams

for (const [protocol, run] of Object.entries(PROTOCOLS)) {
  test(`${protocol}: upstream connection reset mid-stream`, async () => {
    // The first event is delivered (so the turn is not retried), then the socket is destroyed.
    const cut = MockGemini.text(['Partial', ' answer', ' never ends'], { cutAfter: 1, delayMs: 100 });
    const { r } = await failing(() => run('connection reset', '/api/main'), { answers: [cut], upstreamCalls: 1 });
    assertFailed(r);
  });

  test(`${protocol}: garbage SSE carrying the key and a path`, async () => {
    const garbage = { raw: [`data: {"candidates": [{"content": "${KEY} ${ECHO_PATH}\n\n`, `data: not json at all ${KEY}\r\n\r\n`] };
    const { r } = await failing(() => run('garbage SSE', '/api/main'), { answers: [garbage], upstreamCalls: 1 });
    assertFailed(r);
  });

  test(`${protocol}: an in-band upstream error event echoing the key`, async () => {
    const inBand = { ...MockGemini.text(['Partial']), finishReason: null, inBandError: { code: 500, message: `Internal error: ${ECHO}`, status: 'INTERNAL' } };
    const { r } = await failing(() => run('in-band error', '/api/main'), { answers: [inBand], upstreamCalls: 1 });
    assertFailed(r);
  });
}

// ---------------------------------------------------------------------------------------------
// User code that throws (its Error's stack has frames in support/leaks-server.mjs)

for (const [protocol, run] of Object.entries(PROTOCOLS)) {
  test(`${protocol}: a server-side action handler throws an Error`, async () => {
    const { r } = await failing(() => run('throwing action', '/api/main', 'explode'), {
      answers: [MockGemini.functionCalls([{ name: 'explode', args: { city: 'Paris' } }]), MockGemini.text(['Sorry.'])],
    });
    assert.match(r.body, /the weather station is on fire/, 'the handler ran and its message was reported');
  });

  test(`${protocol}: middleware.onBeforeRequest throws`, async () => {
    const { r } = await failing(() => run('throwing onBeforeRequest', '/api/mw'), { upstreamCalls: 0 });
    assert.match(r.body, /Access denied by policy/);
  });
}

// ---------------------------------------------------------------------------------------------
// Remote endpoints: one unreachable, one answering 500 with the key, a path and a traceback

for (const [protocol, run] of Object.entries(PROTOCOLS)) {
  test(`${protocol}: remote endpoints unreachable / answering 500 with a traceback`, async () => {
    const { logged } = await failing(() => run('remote endpoints down', '/api/remote'), { answers: [MockGemini.text(['Hello'])] });
    await logged(/WARN remote endpoint http:\/\/127\.0\.0\.1:\d+\/copilotkit\/info could not be reached/);
  });
}

test('remote endpoints down: AG-UI info and GraphQL availableAgents', async () => {
  const { logged } = await failing(() => send('AG-UI info (remote endpoints down)', '/api/remote', { headers: AGUI_HEADERS, body: { method: 'info' } }), { onError: false });
  await logged(/WARN remote endpoint .*answered HTTP 500/);
  await failing(
    () => send('GraphQL availableAgents (remote endpoints down)', '/api/remote', { headers: CLIENT_HEADERS, body: { operationName: 'availableAgents', query: clientQuery('availableAgents'), variables: {} } }),
    { onError: false },
  );
});

// ---------------------------------------------------------------------------------------------
// Malformed requests (nothing in them is secret: they may be quoted back)

const MALFORMED = [
  ['AG-UI invalid JSON', AGUI_HEADERS, '{"method": "agent/run", "params": '],
  ['AG-UI wrong envelope types', AGUI_HEADERS, { method: 'agent/run', params: { agentId: 42 }, body: 'x' }],
  ['AG-UI wrong RunAgentInput types', AGUI_HEADERS, { method: 'agent/run', params: { agentId: 'default' }, body: { threadId: 5, runId: [], messages: 'hi', tools: {}, context: 7 } }],
  ['AG-UI unknown method', AGUI_HEADERS, { method: 'agent/explode', params: { agentId: 'nope' } }],
  ['AG-UI unknown agent', AGUI_HEADERS, { method: 'agent/run', params: { agentId: 'nope' }, body: runInput() }],
  ['GraphQL invalid JSON', CLIENT_HEADERS, '{"query": "mutation {", "variables": '],
  ['GraphQL wrong variable types', CLIENT_HEADERS, { operationName: 'generateCopilotResponse', query: MUTATION, variables: { data: { frontend: 5, messages: 'hi', metadata: [] } } }],
  ['GraphQL syntax error', CLIENT_HEADERS, { query: 'mutation generateCopilotResponse(' }],
  [
    'GraphQL bad message',
    CLIENT_HEADERS,
    { operationName: 'generateCopilotResponse', query: MUTATION, variables: { data: { frontend: { actions: [{ name: 1 }], url: 7 }, messages: [{ id: null, textMessage: { role: 'wizard', content: {} } }], metadata: { requestType: 'Chat' } } } },
  ],
];

for (const [name, headers, body] of MALFORMED) {
  test(`malformed request: ${name}`, async () => {
    const { r } = await failing(() => send(name, '/api/main', { headers, body }), { onError: false, clientError: true, upstreamCalls: 0 });
    assert.ok(r.status >= 400 || /RUN_ERROR|"errors":\[/.test(r.body), `${name} is rejected: ${r.status} ${r.body.slice(0, 300)}`);
  });
}

// ---------------------------------------------------------------------------------------------
// The child's whole output, once it has shut down

test('the child exits cleanly; its stdout+stderr at info level has no key, no path and no stack frame', async () => {
  child.kill('SIGTERM');
  const exit = await childExit;
  if (DEBUG) console.log(`STDOUT:\n${stdout}\nSTDERR:\n${stderr}`);
  assert.deepEqual(exit, { code: 0, signal: null }, stderr);
  const leaks = findLeaks(withoutEcho(`${stdout}\n${stderr}`), { secrets: SECRETS });
  assert.deepEqual(leaks, [], `the child's output leaked ${describeLeaks(leaks)}`);
  assert.ok(responses.length >= 35, `${responses.length} responses checked`);
  // The log is alive: retries and remote endpoint failures are logged at warn.
  assert.match(stderr, / WARN gemini: retrying after error/);
  assert.match(stderr, / WARN remote endpoint/);
});

// ---------------------------------------------------------------------------------------------
// Relayed upstream text is flattened with server paths redacted; every failure logs at warn.

test(
  'upstream text is relayed without its paths and stack frames (responses, onError, log)',
  () => {
    const relayed = [
      ...responses.flatMap((r) => findLeaks(`${r.head}\n${r.body}`, { secrets: SECRETS }).map((l) => `${r.name}: ${l.what}: ${l.snippet}`)),
      ...findLeaks(stdout, { secrets: SECRETS }).map((l) => `stdout (onError): ${l.what}: ${l.snippet}`),
      ...findLeaks(stderr, { secrets: SECRETS }).map((l) => `stderr (log): ${l.what}: ${l.snippet}`),
    ];
    assert.deepEqual(relayed, []);
  },
);

test(
  'every failure leaves a warn or error line in the log at info level',
  () => {
    assert.deepEqual(silentFailures, []);
  },
);
