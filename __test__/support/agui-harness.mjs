// Shared plumbing for the AG-UI end-to-end tests (`__test__/agui-*.test.mjs`): our runtime served
// over 127.0.0.1 in front of the scripted mock Gemini, the real `@copilotkit/core` 1.74 client,
// a server-side log of every request (with the envelope and arrival times), and small SSE/raw
// request helpers for the few tests that must hand-write requests. The pieces the other suites
// use too live in `stack.mjs`.
import http from 'node:http';

export { pkg, MockGemini, sleep, waitFor, loadCore, startBackend, listen, startNodeHttpStack, connectClient, parseSse, types } from './stack.mjs';

/** Match a logged request by its envelope method (`info`, `agent/run`, `agent/stop`, …). */
export const byMethod = (m) => (r) => r.envelope && r.envelope.method === m && r.bodyAt !== null;

/** Record every AG-UI event the agent sees, with the time it was observed. */
export function recordEvents(agent) {
  const events = [];
  const sub = agent.subscribe({
    onEvent: ({ event }) => {
      events.push({ ...event, observedAt: performance.now() });
    },
  });
  events.unsubscribe = () => sub.unsubscribe();
  return events;
}

export const newId = () => crypto.randomUUID();

/** A minimal valid RunAgentInput. */
export function runInput({ threadId = newId(), runId = newId(), messages, tools = [], context = [] } = {}) {
  return {
    threadId,
    runId,
    tools,
    context,
    forwardedProps: {},
    state: {},
    messages: messages ?? [{ id: newId(), role: 'user', content: 'hi' }],
  };
}

/** POST an envelope with fetch (raw; only for tests that must hand-write requests). */
export function postEnvelope(url, envelope, { headers = {}, signal } = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: typeof envelope === 'string' ? envelope : JSON.stringify(envelope),
    signal,
  });
}

/**
 * A raw node:http request (for exact statuses/headers, custom methods and socket-level control).
 * Resolves with `{ status, headers, body }` once the response ended.
 */
export function rawRequest(url, { method = 'POST', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
