// CopilotKit remote endpoints (`remoteEndpoints` / `copilotKitEndpoint` / `remoteActions`) on the
// JavaScript side. Requests served by an endpoint factory talk to remote endpoints from Rust; the
// shim only resolves, per request, which endpoints there are and the headers their
// `onBeforeRequest({ ctx })` adds (the `remote.endpoints` hook). The rest of this file serves the
// `CopilotRuntime` methods that apps may call directly (`discoverAgentsFromEndpoints`,
// `loadAgentState`), speaking the same protocol with the same retry policy.
//
// Headers returned by `onBeforeRequest` usually carry credentials: they are never logged and never
// put in an error message.
'use strict';

const { EndpointType, newId } = require('./internal');
const { resolveEndpointType } = require('./surface');

const LANGGRAPH_PLATFORM_MESSAGE =
  'LangGraphPlatformEndpoint in remoteEndpoints is not supported (it is deprecated since @copilotkit/runtime 1.75). ' +
  'Use the "agents" option with an AG-UI LangGraph agent instead, for example ' +
  'agents: { myAgent: new LangGraphAgent({ deploymentUrl: "...", graphId: "..." }) } with LangGraphAgent from "@ag-ui/langgraph".';

/** What 1.75 throws at construction for a LangGraph Platform endpoint in `remoteEndpoints`. */
function assertNoLangGraphPlatform(remoteEndpoints) {
  if (!Array.isArray(remoteEndpoints)) return;
  if (remoteEndpoints.some((e) => e && typeof e === 'object' && resolveEndpointType(e) === EndpointType.LangGraphPlatform)) {
    const err = new Error(LANGGRAPH_PLATFORM_MESSAGE);
    err.name = 'CopilotKitMisuseError';
    err.code = 'MISUSE';
    throw err;
  }
}

/** The CopilotKit endpoints of a runtime, de-duplicated by URL (first wins), as 1.10.6 does. */
function copilotKitEndpoints(definitions) {
  const seen = new Set();
  const out = [];
  for (const ep of Array.isArray(definitions) ? definitions : []) {
    if (!ep || typeof ep !== 'object' || typeof ep.url !== 'string' || !ep.url) continue;
    if (resolveEndpointType(ep) === EndpointType.LangGraphPlatform) continue;
    if (seen.has(ep.url)) continue;
    seen.add(ep.url);
    out.push(ep);
  }
  return out;
}

const quietLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return quietLogger;
  },
};

/**
 * The `ctx` handed to `onBeforeRequest({ ctx })`: the GraphQL context fields apps read —
 * `properties`, `request` (a Fetch `Request` with the client's headers), `logger`, `_copilotkit`.
 */
function makeContext(runtime, { properties, url, headers } = {}) {
  const h = new Headers();
  for (const [k, v] of Array.isArray(headers) ? headers : []) {
    try {
      h.append(k, v);
    } catch {
      /* a header Fetch does not accept: leave it out */
    }
  }
  let request;
  try {
    request = new Request(typeof url === 'string' && /^https?:\/\//.test(url) ? url : `http://localhost${typeof url === 'string' && url.startsWith('/') ? url : '/'}`, { headers: h });
  } catch {
    request = new Request('http://localhost/', { headers: h });
  }
  return { properties: properties ?? {}, request, logger: quietLogger, _copilotkit: { runtime } };
}

/** The headers an endpoint adds (`onBeforeRequest({ ctx }).headers`), as string pairs. */
async function extraHeaders(endpoint, ctx) {
  if (typeof endpoint.onBeforeRequest !== 'function') return [];
  const result = await endpoint.onBeforeRequest({ ctx });
  const headers = result && typeof result === 'object' ? result.headers : undefined;
  if (!headers || typeof headers !== 'object') return [];
  const pairs = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  return pairs.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [String(k), String(v)]);
}

/** The `remote.endpoints` hook: every endpoint with the headers it adds for this request. */
async function endpointsForRequest(runtime, payload) {
  const ctx = makeContext(runtime, payload ?? {});
  const out = [];
  for (const ep of copilotKitEndpoints(runtime.remoteEndpointDefinitions)) {
    out.push({ url: ep.url, headers: await extraHeaders(ep, ctx) });
  }
  return out;
}

// --- Direct calls --------------------------------------------------------------------------------

const MAX_RETRIES = 3;
const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);

function backoff(attempt) {
  const base = Number.parseInt(process.env.COPILOT_RUNTIME_RS_REMOTE_RETRY_MS ?? '', 10);
  const b = Number.isFinite(base) && base >= 0 ? base : 1000;
  return Math.min(b * 2 ** attempt, b * 5);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `url` without credentials, query or fragment (for messages). */
function displayUrl(url) {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

function remoteError(code, message) {
  const err = new Error(message);
  err.name = 'CopilotKitError';
  err.code = code;
  return err;
}

const SUFFIX = {
  info: 'when fetching CopilotKit info',
  'agents/state': 'when attempting to get agent state',
};

/** POST JSON to `{endpoint.url}/{path}` with retries on network failures and retryable statuses. */
async function postRemote(endpoint, path, body, ctx) {
  const url = `${endpoint.url.replace(/\/$/, '')}/${path}`;
  const headers = { 'Content-Type': 'application/json' };
  for (const [k, v] of await extraHeaders(endpoint, ctx)) headers[k] = v;
  let response;
  for (let attempt = 0; ; attempt++) {
    try {
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    } catch (e) {
      if (e?.name !== 'AbortError' && attempt < MAX_RETRIES) {
        await sleep(backoff(attempt));
        continue;
      }
      throw remoteError('NETWORK_ERROR', `Failed to reach the remote endpoint at ${displayUrl(url)}`);
    }
    if (RETRYABLE_STATUS.has(response.status) && attempt < MAX_RETRIES) {
      await response.body?.cancel().catch(() => {});
      await sleep(backoff(attempt));
      continue;
    }
    break;
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    if (response.status === 404 || response.status === 400) {
      throw remoteError('API_NOT_FOUND', `Failed to find CopilotKit API endpoint at url ${displayUrl(url)} ${SUFFIX[path] ?? ''}.`);
    }
    let detail;
    if (path === 'agents/state') {
      try {
        const parsed = JSON.parse(text);
        if (typeof parsed?.error === 'string') detail = parsed.error;
      } catch {
        /* not JSON */
      }
    }
    throw remoteError('UNKNOWN', detail ?? `The remote endpoint at ${displayUrl(url)} answered HTTP ${response.status} ${SUFFIX[path] ?? ''}`);
  }
  try {
    return await response.json();
  } catch {
    throw remoteError('UNKNOWN', `The remote endpoint at ${displayUrl(url)} answered with invalid JSON`);
  }
}

/** `discoverAgentsFromEndpoints(ctx)`: `POST {url}/info` on each endpoint, in order. */
async function discoverAgents(runtime, ctx) {
  const context = ctx ?? makeContext(runtime);
  const out = [];
  for (const endpoint of copilotKitEndpoints(runtime.remoteEndpointDefinitions)) {
    const info = await postRemote(endpoint, 'info', { properties: context.properties ?? {} }, context);
    for (const agent of Array.isArray(info?.agents) ? info.agents : []) {
      if (!agent || typeof agent.name !== 'string') continue;
      out.push({ name: agent.name, description: agent.description ?? '', id: newId(), endpoint });
    }
  }
  return out;
}

/** `POST {url}/agents/state`, re-encoded as `loadAgentState` answers it. */
async function loadRemoteAgentState(endpoint, ctx, threadId, agentName) {
  const context = ctx ?? { properties: {} };
  const data = await postRemote(endpoint, 'agents/state', { properties: context.properties ?? {}, threadId, name: agentName }, context);
  return {
    ...data,
    threadId: data?.threadId ?? threadId,
    threadExists: !!data?.threadExists,
    state: JSON.stringify(data?.state ?? {}),
    messages: JSON.stringify(data?.messages ?? []),
  };
}

const AGENT_NOT_FOUND_URL = 'https://docs.copilotkit.ai/coagents/troubleshooting/common-issues#i-am-getting-agent-not-found-error';

/** 1.10.6's `CopilotKitAgentDiscoveryError`. */
function agentNotFound(agentName, available) {
  const seeMore = `See more: [${AGENT_NOT_FOUND_URL}](${AGENT_NOT_FOUND_URL})`;
  const message = available.length
    ? `Agent '${agentName}' was not found. Available agents are: ${available.join(', ')}. Please verify the agent name in your configuration and ensure it matches one of the available agents.\n\n${seeMore}`
    : `Agent '${agentName}' was not found. Please set up at least one agent before proceeding. ${seeMore}`;
  const err = remoteError('AGENT_NOT_FOUND', message);
  err.name = 'CopilotKitAgentDiscoveryError';
  return err;
}

module.exports = {
  assertNoLangGraphPlatform,
  copilotKitEndpoints,
  endpointsForRequest,
  makeContext,
  discoverAgents,
  loadRemoteAgentState,
  agentNotFound,
};
