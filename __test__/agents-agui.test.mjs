// User agents on the AG-UI protocol: an AbstractAgent subclass run through the JS bridge, and an
// HttpAgent that Rust calls itself (no JavaScript in its event path).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const http = require('node:http');
const { AbstractAgent, HttpAgent, EventType } = await import('@ag-ui/client');
const { Observable } = await import('rxjs');
const { CopilotRuntime, copilotRuntimeNodeHttpEndpoint, EmptyAdapter } = require('../index.js');

class EchoAgent extends AbstractAgent {
  run(input) {
    return new Observable((sub) => {
      sub.next({ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId });
      sub.next({ type: EventType.TEXT_MESSAGE_START, messageId: `m-${input.runId}`, role: 'assistant' });
      sub.next({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: `m-${input.runId}`, delta: `echo: ${input.messages.at(-1).content}` });
      sub.next({ type: EventType.TEXT_MESSAGE_END, messageId: `m-${input.runId}` });
      sub.next({ type: EventType.TOOL_CALL_START, toolCallId: 'c1', toolCallName: 'lookup' });
      sub.next({ type: EventType.TOOL_CALL_ARGS, toolCallId: 'c1', delta: '{"q":1}' });
      sub.next({ type: EventType.TOOL_CALL_END, toolCallId: 'c1' });
      sub.next({ type: EventType.STATE_SNAPSHOT, snapshot: { n: 1 } });
      sub.next({ type: EventType.RUN_FINISHED, threadId: input.threadId, runId: input.runId });
      sub.complete();
    });
  }
}

class FailingAgent extends AbstractAgent {
  run(input) {
    return new Observable((sub) => {
      sub.next({ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId });
      sub.next({ type: EventType.TEXT_MESSAGE_START, messageId: 'f1', role: 'assistant' });
      setTimeout(() => sub.error(new Error('scripted agent failure')), 5);
    });
  }
}

let unsubscribed = 0;
class NeverEndingAgent extends AbstractAgent {
  run(input) {
    return new Observable((sub) => {
      sub.next({ type: EventType.RUN_STARTED, threadId: input.threadId, runId: input.runId });
      sub.next({ type: EventType.TEXT_MESSAGE_START, messageId: 'n1', role: 'assistant' });
      const t = setInterval(() => sub.next({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'n1', delta: '.' }), 10);
      return () => {
        clearInterval(t);
        unsubscribed += 1;
      };
    });
  }
}

let remote;
let server;
let url;
const remoteRequests = [];

before(async () => {
  remote = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      const input = JSON.parse(b);
      remoteRequests.push({ headers: req.headers, input });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ type: 'RUN_STARTED', threadId: input.threadId, runId: input.runId })}\n\n`);
      res.write(`data: ${JSON.stringify({ type: 'TEXT_MESSAGE_CHUNK', messageId: 'h1', role: 'assistant', delta: 'from the http agent' })}\n\n`);
      res.end(`data: ${JSON.stringify({ type: 'RUN_FINISHED', threadId: input.threadId, runId: input.runId })}\n\n`);
    });
  });
  await new Promise((r) => remote.listen(0, '127.0.0.1', r));
  const httpAgent = new HttpAgent({ url: `http://127.0.0.1:${remote.address().port}/agent`, headers: { 'x-configured': 'server', authorization: 'Bearer server' } });
  // Rust must call the URL itself: the JS implementation may never run.
  httpAgent.run = undefined;
  Object.getPrototypeOf(httpAgent).run = () => {
    throw new Error('the HttpAgent JS path was used');
  };
  const runtime = new CopilotRuntime({ agents: { echo: new EchoAgent(), remote: httpAgent, failing: new FailingAgent(), endless: new NeverEndingAgent() } });
  server = http.createServer((req, res) => copilotRuntimeNodeHttpEndpoint({ runtime, serviceAdapter: new EmptyAdapter(), endpoint: '/api' })(req, res));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${server.address().port}/api`;
});

after(() => {
  server.close();
  remote.close();
});

async function post(body, headers = {}, signal) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
  return r;
}

async function run(agentId, threadId, headers) {
  const r = await post({ method: 'agent/run', params: { agentId }, body: { threadId, runId: `r-${threadId}`, messages: [{ id: 'u', role: 'user', content: 'hi' }], tools: [], context: [], state: {}, forwardedProps: {} } }, headers);
  assert.equal(r.status, 200);
  const text = await r.text();
  return text.split('\n\n').filter((f) => f.startsWith('data: ')).map((f) => JSON.parse(f.slice(6)));
}

test('info lists the configured agents and no default agent', async () => {
  const info = await (await post({ method: 'info' })).json();
  assert.deepEqual(Object.keys(info.agents).sort(), ['echo', 'endless', 'failing', 'remote']);
  assert.equal(info.agents.echo.className, 'EchoAgent');
  assert.equal(info.agents.remote.className, 'HttpAgent');
  const r = await post({ method: 'agent/run', params: { agentId: 'default' }, body: { threadId: 't', runId: 'r', messages: [], tools: [], context: [] } });
  assert.equal(r.status, 404);
});

test('an AbstractAgent subclass streams text, tool calls and state through the runtime', async () => {
  const events = await run('echo', 't-echo');
  assert.deepEqual(events.map((e) => e.type), ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END', 'STATE_SNAPSHOT', 'RUN_FINISHED']);
  assert.equal(events[2].delta, 'echo: hi');
});

test('an HttpAgent is called by Rust with its own headers winning over forwarded ones', async () => {
  const events = await run('remote', 't-remote', { 'x-custom': 'client', authorization: 'Bearer client', 'x-forwarded-for': '1.2.3.4' });
  assert.deepEqual(events.map((e) => e.type), ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
  assert.equal(events[2].delta, 'from the http agent');
  const seen = remoteRequests.at(-1);
  assert.equal(seen.headers['x-configured'], 'server');
  assert.equal(seen.headers.authorization, 'Bearer server');
  assert.equal(seen.headers['x-custom'], 'client');
  assert.equal(seen.headers['x-forwarded-for'], undefined);
  assert.equal(seen.input.threadId, 't-remote');
});

test('an agent that errors mid-run ends with RUN_ERROR after closing its message', async () => {
  const events = await run('failing', 't-fail');
  assert.deepEqual(events.map((e) => e.type), ['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_END', 'RUN_ERROR']);
  assert.match(events.at(-1).message, /scripted agent failure/);
});

test('stop cancels a run that never completes and unsubscribes from the agent', async () => {
  const controller = new AbortController();
  const r = await post({ method: 'agent/run', params: { agentId: 'endless' }, body: { threadId: 't-endless', runId: 'r1', messages: [{ id: 'u', role: 'user', content: 'go' }], tools: [], context: [] } }, {}, controller.signal);
  const reader = r.body.getReader();
  await reader.read();
  const stop = await (await post({ method: 'agent/stop', params: { agentId: 'endless', threadId: 't-endless' } })).json();
  assert.equal(stop.stopped, true);
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  assert.match(text, /"type":"RUN_FINISHED"/);
  for (let i = 0; i < 50 && unsubscribed === 0; i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(unsubscribed, 1, 'the agent subscription was torn down');
});
