// CopilotRuntime and the service adapters. Each holds configuration only: requests are handled by
// the native runtime, which calls back into the user's functions through `lib/native.js`.
'use strict';

const { native, makeDispatch } = require('./native');
const internal = require('./internal');
const remote = require('./remote');

const MESSAGE_CLASSES = {
  TextMessage: internal.TextMessage,
  ActionExecutionMessage: internal.ActionExecutionMessage,
  ResultMessage: internal.ResultMessage,
  AgentStateMessage: internal.AgentStateMessage,
  ImageMessage: internal.ImageMessage,
};

/** Rebuild the 1.10.6 message classes from the JSON form Rust sends (so `isTextMessage()` works). */
function toMessages(list) {
  return (Array.isArray(list) ? list : []).map((m) => {
    const Cls = MESSAGE_CLASSES[m && m.type];
    if (!Cls) return m;
    const { type, ...props } = m;
    if (typeof props.createdAt === 'string') props.createdAt = new Date(props.createdAt);
    return new Cls(props);
  });
}

/** Turn whatever an error hook or handler threw into a plain Error for the user's callbacks. */
function toError(payload) {
  const e = new Error(payload && payload.message ? payload.message : 'copilot-runtime-rs error');
  if (payload && payload.code) e.code = payload.code;
  if (payload && payload.name) e.name = payload.name;
  return e;
}

class GoogleGenerativeAIAdapter {
  constructor(options = {}) {
    this.options = { ...options };
    this.model = options.model ?? 'gemini-2.5-flash';
    this.provider = 'google';
  }

  /** @internal */
  _nativeConfig() {
    const o = this.options;
    return {
      kind: 'google',
      model: o.model,
      apiKey: o.apiKey,
      apiVersion: o.apiVersion,
      baseUrl: o.baseUrl,
      maxRetries: o.maxRetries,
      firstByteTimeoutMs: o.firstByteTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
    };
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

/** copilot-runtime-rs options given to the CopilotRuntime constructor. */
function runtimeOptions(params) {
  const out = {};
  if (Number.isInteger(params.maxSteps) && params.maxSteps > 0) out.maxSteps = params.maxSteps;
  if (params.threadStore && typeof params.threadStore === 'object') {
    const { maxThreads, maxRunsPerThread, maxBytes } = params.threadStore;
    out.threadStore = { maxThreads, maxRunsPerThread, maxBytes };
  }
  return out;
}

function hasAgents(agents) {
  if (!agents) return false;
  if (typeof agents === 'function' || typeof agents.then === 'function') return true;
  return typeof agents === 'object' && Object.keys(agents).length > 0;
}

function ownerOf(obj, key) {
  for (let p = Object.getPrototypeOf(obj); p; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, key)) return p;
  }
  return null;
}

/**
 * An `@ag-ui/client` `HttpAgent` whose `run` is HttpAgent's own (not a subclass that runs
 * differently): Rust POSTs the run input to its URL and reads the events itself. Recognised by
 * shape, since bundlers rename classes.
 */
function isPlainHttpAgent(agent) {
  if (!agent || typeof agent !== 'object' || typeof agent.url !== 'string' || typeof agent.requestInit !== 'function') return false;
  const runOwner = ownerOf(agent, 'run');
  return runOwner !== null && runOwner === ownerOf(agent, 'requestInit');
}

class CopilotRuntime {
  constructor(params = {}) {
    this.params = params ?? {};
    this.onError = this.params.onError;
    this.middleware = this.params.middleware;
    this.actions = this.params.actions ?? [];
    this.agents = this.params.agents ?? {};
    // LangGraph Platform endpoints throw here, as they do in 1.75.
    remote.assertNoLangGraphPlatform(this.params.remoteEndpoints);
    this.remoteEndpointDefinitions = this.params.remoteEndpoints ?? this.params.remoteActions ?? [];
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

  /**
   * The AG-UI agents given in `agents`, as `{ name, id, description }` (`name` = the agent's
   * `agentName` ?? its key). `agents` given as a promise or a function of the request is resolved
   * per request, so it lists nothing here.
   */
  discoverAgentsFromAgui() {
    const agents = this.agents && typeof this.agents === 'object' && typeof this.agents.then !== 'function' ? this.agents : {};
    return Object.entries(agents).map(([key, agent]) => ({
      name: agent?.agentName ?? key,
      id: agent?.agentId ?? key,
      description: agent?.description ?? '',
    }));
  }

  /**
   * The agents of the CopilotKit remote endpoints (`POST {url}/info` with the context's
   * `properties` and the endpoint's `onBeforeRequest` headers), each `{ name, description, id:
   * "ck-<uuid>", endpoint }`. `ctx` is the GraphQL context (`{ properties, request? }`).
   */
  async discoverAgentsFromEndpoints(ctx) {
    return remote.discoverAgents(this, ctx);
  }

  /** Remote endpoint agents, then the AG-UI agents. */
  async getAllAgents(ctx) {
    const fromEndpoints = await this.discoverAgentsFromEndpoints(ctx);
    return [...fromEndpoints, ...this.discoverAgentsFromAgui()];
  }

  /**
   * A remote endpoint agent's thread (`POST {url}/agents/state`, `state`/`messages` re-encoded as
   * JSON text); AG-UI agents have none (`threadExists: false`). Unknown agent → an
   * `AGENT_NOT_FOUND` error. (Requests served by an endpoint factory also answer from the
   * runtime's thread store; a direct call cannot see it.)
   */
  async loadAgentState(ctx, threadId, agentName) {
    const agents = await this.getAllAgents(ctx);
    const agent = agents.find((a) => a.name === agentName);
    if (!agent) throw remote.agentNotFound(agentName, agents.map((a) => a.name));
    if (agent.endpoint && typeof agent.endpoint.url === 'string') {
      return remote.loadRemoteAgentState(agent.endpoint, ctx, threadId, agentName);
    }
    return { threadId: threadId || '', threadExists: false, state: '{}', messages: '[]' };
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

  /** @internal which callbacks exist, so Rust skips the round trip to the others */
  _capabilities() {
    const mw = this.middleware ?? {};
    const actions = this.params.actions;
    return {
      actions: typeof actions === 'function' || (Array.isArray(actions) && actions.length > 0),
      beforeRequest: typeof mw.onBeforeRequest === 'function',
      afterRequest: typeof mw.onAfterRequest === 'function',
      onError: typeof this.onError === 'function',
      onStopGeneration: typeof this.params.onStopGeneration === 'function',
      agents: hasAgents(this.params.agents),
      remoteEndpoints: remote.copilotKitEndpoints(this.remoteEndpointDefinitions).length > 0,
    };
  }

  /** @internal the callbacks Rust calls for this runtime (see lib/native.js for the contract) */
  _hooks() {
    // Actions resolved for a request, kept until Rust says the request is done.
    const perRequest = new Map();
    const resolveActions = async ({ requestId, properties, url }) => {
      const cached = perRequest.get(requestId);
      if (cached) return cached;
      const a = this.params.actions;
      const list = typeof a === 'function' ? await a({ properties: properties ?? {}, url }) : a;
      const actions = (Array.isArray(list) ? list : []).filter((x) => x && typeof x.name === 'string' && x.available !== 'disabled');
      perRequest.set(requestId, actions);
      return actions;
    };
    const mw = () => this.middleware ?? {};
    // Live JS agent runs: runKey → subscription.
    const running = new Map();
    const resolveAgents = async (p) => {
      let a = this.params.agents;
      if (typeof a === 'function') {
        const headers = new Headers();
        for (const [k, v] of p?.headers ?? []) headers.append(k, v);
        a = a({ request: new Request(p?.url && /^https?:/.test(p.url) ? p.url : 'http://localhost/', { headers }) });
      }
      a = await a;
      return a && typeof a === 'object' ? a : {};
    };
    return {
      'agents.list': async (p) => Object.entries(await resolveAgents(p)).map(([id, agent]) => ({
        id,
        name: id,
        description: agent?.description ?? '',
        className: isPlainHttpAgent(agent) ? 'HttpAgent' : agent?.constructor?.name ?? 'Agent',
        http: isPlainHttpAgent(agent) ? { url: agent.url, headers: { ...(agent.headers ?? {}) } } : null,
      })),
      'agents.run': async ({ runKey, agentId, input, headers }) => {
        const agents = await resolveAgents({ headers });
        const original = agents[agentId];
        if (!original) throw new Error(`Agent '${agentId}' does not exist`);
        const agent = typeof original.clone === 'function' ? original.clone() : original;
        if (agent.agentId === undefined) agent.agentId = agentId;
        agent.threadId = input.threadId;
        agent.messages = input.messages ?? [];
        agent.state = input.state ?? {};
        const { pushAgentEvents, endAgentRun } = native();
        const source = typeof agent.run === 'function' ? agent.run(input) : null;
        if (!source || typeof source.subscribe !== 'function') throw new Error(`Agent '${agentId}' has no run(input) returning an Observable`);
        let ended = false;
        const end = (error) => {
          if (ended) return;
          ended = true;
          running.delete(runKey);
          endAgentRun(runKey, error);
        };
        const sub = source.subscribe({
          next: (event) => {
            if (!ended) pushAgentEvents(runKey, JSON.stringify(event));
          },
          error: (err) => end(err instanceof Error ? err.message : String(err ?? 'agent failed')),
          complete: () => end(null),
        });
        if (!ended) running.set(runKey, sub);
        return null;
      },
      'agents.cancel': async ({ runKey }) => {
        const sub = running.get(runKey);
        running.delete(runKey);
        if (sub && typeof sub.unsubscribe === 'function') sub.unsubscribe();
      },
      'actions.list': async (p) => (await resolveActions(p)).map((a) => ({
        name: a.name,
        description: a.description ?? '',
        parameters: a.parameters ?? [],
      })),
      'actions.execute': async (p) => {
        const actions = await resolveActions(p);
        const action = actions.find((a) => a.name === p.name);
        if (!action) throw new Error(`Unknown server action '${p.name}'`);
        if (typeof action.handler !== 'function') throw new Error(`Server action '${p.name}' has no handler`);
        const value = await action.handler(p.arguments ?? {});
        return { value: value === undefined ? null : value, undefined: value === undefined };
      },
      // The CopilotKit remote endpoints of a request, with the headers their onBeforeRequest adds.
      'remote.endpoints': async (p) => remote.endpointsForRequest(this, p),
      'request.done': async (p) => {
        perRequest.delete(p.requestId);
      },
      'middleware.before': async (p) => {
        const fn = mw().onBeforeRequest;
        if (typeof fn === 'function') {
          // `runId` as the request gave it: 1.10.6 passes GraphQL's `runId: null` through as null.
          await fn({ threadId: p.threadId, runId: p.runId, inputMessages: toMessages(p.inputMessages), properties: p.properties ?? {}, url: p.url });
        }
      },
      'middleware.after': async (p) => {
        const fn = mw().onAfterRequest;
        if (typeof fn === 'function') {
          await fn({
            threadId: p.threadId,
            runId: p.runId ?? undefined,
            inputMessages: toMessages(p.inputMessages),
            outputMessages: toMessages(p.outputMessages),
            properties: p.properties ?? {},
            url: p.url,
          });
        }
      },
      onError: async (event) => {
        if (typeof this.onError === 'function') {
          await this.onError({ ...event, error: toError(event.error) });
        }
      },
      onStopGeneration: async (p) => {
        const fn = this.params.onStopGeneration;
        if (typeof fn === 'function') await fn(p);
      },
    };
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
    const config = { ...runtimeOptions(this.params), ...endpointOptions, adapter, capabilities: this._capabilities() };
    if (!Object.values(config.capabilities).some(Boolean)) return sharedNative(config);
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

/**
 * Native runtimes that call no user code depend on their configuration only, so every
 * `CopilotRuntime` with the same configuration shares one, process-wide. This is what keeps the
 * docs' setup (a new runtime and handler for every request) as cheap as a hoisted one. Bounded:
 * the least recently used configuration goes first.
 */
const SHARED_NATIVES_MAX = 64;
const sharedNatives = new Map();
function sharedNative(config) {
  const json = JSON.stringify(config);
  let rt = sharedNatives.get(json);
  if (rt) {
    sharedNatives.delete(json);
  } else {
    const { NativeRuntime } = native();
    rt = new NativeRuntime(json);
    if (sharedNatives.size >= SHARED_NATIVES_MAX) sharedNatives.delete(sharedNatives.keys().next().value);
  }
  sharedNatives.set(json, rt);
  return rt;
}

module.exports = { CopilotRuntime, GoogleGenerativeAIAdapter, EmptyAdapter };
