// CopilotRuntime and the service adapters. Each holds configuration only: requests are handled by
// the native runtime, which calls back into the user's functions through `lib/native.js`.
'use strict';

const { native, makeDispatch } = require('./native');

class GoogleGenerativeAIAdapter {
  constructor(options = {}) {
    this.options = { ...options };
    this.model = options.model ?? 'gemini-2.5-flash';
    this.provider = 'google';
  }

  /** @internal */
  _nativeConfig() {
    const o = this.options;
    return { kind: 'google', model: o.model, apiKey: o.apiKey, apiVersion: o.apiVersion, baseUrl: o.baseUrl };
  }

  async process() {
    throw new Error('GoogleGenerativeAIAdapter.process is not called directly with copilot-runtime-rs: pass the adapter to an endpoint factory');
  }
}

class EmptyAdapter {
  /** @internal */
  _nativeConfig() {
    return { kind: 'empty' };
  }

  async process() {
    throw new Error('EmptyAdapter is not meant to be used with the built-in agent; configure agents or remote endpoints');
  }
}

let adapterCounter = 0;

class CopilotRuntime {
  constructor(params = {}) {
    this.params = params ?? {};
    this.onError = this.params.onError;
    this.middleware = this.params.middleware;
    this.actions = this.params.actions ?? [];
    this.agents = this.params.agents ?? {};
    this.remoteEndpointDefinitions = [...(this.params.remoteEndpoints ?? []), ...(this.params.remoteActions ?? [])];
    /** @type {Map<string, any>} native runtimes, keyed by endpoint options */
    this._natives = new Map();
    this._adapterIds = new WeakMap();
  }

  /**
   * 1.10.6 ran the GraphQL resolvers in JS and called this with its internal event source. Here the
   * whole request runs natively, so there is nothing to call it with: use an endpoint factory.
   */
  async processRuntimeRequest() {
    throw new Error('copilot-runtime-rs processes requests natively: serve the runtime through an endpoint factory (e.g. copilotRuntimeNodeHttpEndpoint) instead of calling processRuntimeRequest');
  }

  /** The AG-UI agents given in `agents`, as `{ name, id, description }`. */
  discoverAgentsFromAgui() {
    const agents = this.agents && typeof this.agents === 'object' && typeof this.agents.then !== 'function' ? this.agents : {};
    return Object.entries(agents).map(([key, agent]) => ({
      name: agent?.agentName ?? key,
      id: agent?.agentId ?? key,
      description: agent?.description ?? '',
    }));
  }

  /** Agents discovered from the CopilotKit remote endpoints (`POST {url}/info`). */
  async discoverAgentsFromEndpoints(ctx) {
    return discoverRemoteAgents(this.remoteEndpointDefinitions, ctx);
  }

  async getAllAgents(ctx) {
    const remote = await this.discoverAgentsFromEndpoints(ctx);
    return [...remote, ...this.discoverAgentsFromAgui()];
  }

  async loadAgentState(ctx, threadId, agentName) {
    const agents = await this.getAllAgents(ctx);
    const agent = agents.find((a) => a.name === agentName);
    if (!agent) {
      const err = new Error(`Agent '${agentName}' was not found. Available agents are: ${agents.map((a) => a.name).join(', ') || 'none'}`);
      err.code = 'AGENT_NOT_FOUND';
      throw err;
    }
    if (agent.endpoint && agent.endpoint.url) {
      const res = await postJson(`${agent.endpoint.url.replace(/\/$/, '')}/agents/state`, { properties: ctx?.properties ?? {}, threadId, name: agentName }, await endpointHeaders(agent.endpoint, ctx));
      return { threadId, threadExists: !!res.threadExists, state: JSON.stringify(res.state ?? {}), messages: JSON.stringify(res.messages ?? []) };
    }
    return { threadId, threadExists: false, state: '{}', messages: '[]' };
  }

  /** Report a GraphQL-level error to `onError`. A throwing `onError` is ignored. */
  async errorGraphQLError(error, context) {
    if (typeof this.onError !== 'function') return;
    try {
      await this.onError({
        type: 'error',
        timestamp: Date.now(),
        context: { source: 'runtime', request: { operation: context?.operation, method: 'POST', url: '', startTime: Date.now() }, technical: { environment: process.env.NODE_ENV }, metadata: { cloudConfigPresent: !!context?.cloudConfigPresent, guardrailsEnabled: !!context?.guardrailsEnabled } },
        error: Object.assign(new Error(error?.message ?? 'GraphQL error'), { code: error?.code, type: error?.type }),
      });
    } catch {
      /* onError must never break the caller */
    }
  }

  /** @internal hooks Rust may call for this runtime */
  _hooks() {
    return {};
  }

  /**
   * @internal The native runtime serving this runtime through `serviceAdapter` with the options of
   * one endpoint factory. Factories are often called once per request (as the docs do), so the
   * native runtime is cached per distinct configuration.
   */
  _native(serviceAdapter, endpointOptions) {
    const adapter = serviceAdapter && typeof serviceAdapter._nativeConfig === 'function'
      ? serviceAdapter._nativeConfig()
      : { kind: 'empty' };
    let adapterId = serviceAdapter ? this._adapterIds.get(serviceAdapter) : 0;
    if (serviceAdapter && adapterId === undefined) {
      adapterId = ++adapterCounter;
      this._adapterIds.set(serviceAdapter, adapterId);
    }
    const config = { ...endpointOptions, adapter };
    const key = `${adapterId}|${JSON.stringify(config)}`;
    let rt = this._natives.get(key);
    if (!rt) {
      const { NativeRuntime } = native();
      rt = new NativeRuntime(JSON.stringify(config), makeDispatch(this._hooks()));
      this._natives.set(key, rt);
    }
    return rt;
  }
}

async function endpointHeaders(endpoint, ctx) {
  const headers = { 'content-type': 'application/json' };
  if (typeof endpoint.onBeforeRequest === 'function') {
    const extra = await endpoint.onBeforeRequest({ ctx });
    Object.assign(headers, extra?.headers ?? {});
  }
  return headers;
}

async function postJson(url, body, headers) {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`remote endpoint ${url} answered HTTP ${res.status}`);
  return res.json();
}

async function discoverRemoteAgents(endpoints, ctx) {
  const out = [];
  const seen = new Set();
  for (const ep of endpoints) {
    if (!ep || !ep.url || seen.has(ep.url) || ep.type === 'langgraph-platform' || ep.deploymentUrl) continue;
    seen.add(ep.url);
    const info = await postJson(`${ep.url.replace(/\/$/, '')}/info`, { properties: ctx?.properties ?? {} }, await endpointHeaders(ep, ctx));
    for (const a of info.agents ?? []) {
      out.push({ name: a.name, description: a.description ?? '', id: `ck-${crypto.randomUUID()}`, endpoint: ep });
    }
  }
  return out;
}

module.exports = { CopilotRuntime, GoogleGenerativeAIAdapter, EmptyAdapter };
