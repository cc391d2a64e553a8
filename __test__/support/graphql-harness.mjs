// Shared plumbing for the GraphQL-protocol end-to-end tests (`__test__/graphql-*.test.mjs`): our
// runtime served by `copilotRuntimeNodeHttpEndpoint` on 127.0.0.1 in front of the scripted mock
// Gemini, driven by the real `@copilotkit/runtime-client-gql@1.10.6` client the way react-core
// 1.10.6 drives it (request shape of use-chat.ts, message conversion helpers of the client package,
// frontend-action execution and the client-driven follow-up request).
// The pieces the other suites use too live in `stack.mjs`.
import http from 'node:http';
import { createRequire } from 'node:module';
import { loadGql, startNodeHttpStack } from './stack.mjs';

export {
  pkg,
  MockGemini,
  sleep,
  makeClient,
  frontendAction,
  chatInput,
  userMessage,
  runGenerate,
  executeFrontendActions,
  parseMultipart,
} from './stack.mjs';

const require = createRequire(import.meta.url);
export const gql = loadGql();

export const { CopilotRuntimeClient, TextMessage, ActionExecutionMessage, ResultMessage, Role } = gql;

export const CLIENT_VERSION = '1.10.6';
/** The `accept` header urql 5.2.0 sends for every operation (spec §1.3). */
export const CLIENT_ACCEPT = 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed';
/** The headers of a request the 1.10.6 client sends, for hand-written requests. */
export const CLIENT_HEADERS = {
  accept: CLIENT_ACCEPT,
  'content-type': 'application/json',
  'x-copilotkit-runtime-client-gql-version': CLIENT_VERSION,
};

/**
 * mock Gemini (no demo fallback: an unscripted call is a test bug and answers 500) → runtime →
 * `copilotRuntimeNodeHttpEndpoint` on a node:http server. `url` is the client's runtime URL;
 * `serverRequests` logs every request the HTTP server received (`{method, url, headers, closedAt}`).
 */
export async function startGraphqlStack(options = {}) {
  const stack = await startNodeHttpStack({ ...options, observeBody: false });
  return { ...stack, serverRequests: stack.requests };
}

/** A raw node:http POST (exact status, headers and body), `{ status, headers, body, json }`. */
export function rawPost(url, body, { headers = CLIENT_HEADERS, method = 'POST' } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const h = { connection: 'close', ...headers };
    if (payload) h['content-length'] = payload.length;
    const req = http.request(url, { method, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * The operation documents byte for byte as the 1.10.6 client sends them (urql adds `__typename`
 * to every selection set and prints the result): `generateCopilotResponse`, `availableAgents`,
 * `loadAgentState`.
 */
export function clientQuery(operation) {
  const urql = require('@urql/core');
  const doc = { generateCopilotResponse: gql.GenerateCopilotResponseDocument, availableAgents: gql.AvailableAgentsDocument, loadAgentState: gql.LoadAgentStateDocument }[operation];
  return urql.stringifyDocument(urql.formatDocument(doc));
}
