// A CopilotKit remote endpoint (the protocol the CopilotKit Python SDK serves) on 127.0.0.1:0, for
// tests. Everything is scripted and every request is recorded.
//
//   const remote = await MockRemoteEndpoint.start({
//     actions: [{ name, description, parameters, handler: (args, body) => result }],
//     agents: [{ name, description, type: 'crewai' | 'langgraph', run: (body) => lines }],
//     threads: { [threadId]: { threadExists, state, messages } },
//   });
//   remote.url                     // e.g. http://127.0.0.1:PORT/copilotkit
//   remote.requests                // [{ path, headers, body }]
//   remote.failNext('info', 503)   // the next /info answers 503 ('network': the socket is destroyed)
//
// Routes (POST, JSON body, under `basePath`, default `/copilotkit`):
//   /info            → { actions: [{name, description, parameters}], agents: [{name, description, type}] }
//   /actions/execute → { result: handler(arguments, body) }  (404 for an unknown action)
//   /agents/execute  → JSON lines: whatever `run(body)` returns, one event a line. `run` may return
//                      an array, or an async iterable (for delays and never-ending agents).
//   /agents/state    → the thread from `threads`, else { threadId, threadExists: false, state: {}, messages: [] }
'use strict';

const http = require('node:http');

class MockRemoteEndpoint {
  static async start(options = {}) {
    const m = new MockRemoteEndpoint(options);
    await new Promise((resolve) => m.server.listen(0, '127.0.0.1', resolve));
    return m;
  }

  constructor({ actions = [], agents = [], threads = {}, basePath = '/copilotkit' } = {}) {
    this.actions = actions;
    this.agents = agents;
    this.threads = threads;
    this.basePath = basePath;
    this.requests = [];
    this.failures = [];
    /** Agent runs whose client went away before the agent finished. */
    this.abortedRuns = 0;
    this.sockets = new Set();
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get url() {
    return `http://127.0.0.1:${this.server.address().port}${this.basePath}`;
  }

  /** Requests to one route (`info`, `actions/execute`, `agents/execute`, `agents/state`). */
  requestsTo(route) {
    return this.requests.filter((r) => r.route === route);
  }

  /** Make the next `count` requests to `route` fail with `status` (or 'network'). */
  failNext(route, status, count = 1) {
    for (let i = 0; i < count; i++) this.failures.push({ route, status });
  }

  async close() {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  handle(req, res) {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', async () => {
      const route = req.url.startsWith(`${this.basePath}/`) ? req.url.slice(this.basePath.length + 1) : req.url;
      let body = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = raw;
      }
      this.requests.push({ method: req.method, route, path: req.url, headers: req.headers, body });
      const i = this.failures.findIndex((f) => f.route === route);
      if (i >= 0) {
        const [f] = this.failures.splice(i, 1);
        if (f.status === 'network') {
          req.socket.destroy();
          return;
        }
        res.writeHead(f.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `scripted ${f.status}` }));
        return;
      }
      if (req.method !== 'POST') return this.json(res, 405, { error: 'method not allowed' });
      try {
        switch (route) {
          case 'info':
            return this.json(res, 200, {
              actions: this.actions.map(({ name, description, parameters }) => ({ name, description, parameters: parameters ?? [] })),
              agents: this.agents.map(({ name, description, type }) => ({ name, description, ...(type ? { type } : {}) })),
            });
          case 'actions/execute': {
            const action = this.actions.find((a) => a.name === body?.name);
            if (!action) return this.json(res, 404, { error: 'action not found' });
            return this.json(res, 200, { result: await action.handler(body.arguments, body) });
          }
          case 'agents/execute':
            return this.runAgent(req, res, body);
          case 'agents/state': {
            const t = this.threads[body?.threadId];
            return this.json(res, 200, t ? { threadId: body.threadId, ...t } : { threadId: body?.threadId, threadExists: false, state: {}, messages: [] });
          }
          default:
            return this.json(res, 404, { error: 'not found' });
        }
      } catch (e) {
        return this.json(res, 500, { error: String(e?.message ?? e) });
      }
    });
  }

  async runAgent(req, res, body) {
    const agent = this.agents.find((a) => a.name === body?.name);
    if (!agent) return this.json(res, 404, { error: 'agent not found' });
    res.writeHead(200, { 'content-type': 'application/json' });
    let closed = false;
    res.on('close', () => {
      if (!res.writableEnded) {
        closed = true;
        this.abortedRuns += 1;
      }
    });
    const lines = await agent.run(body);
    for await (const line of lines) {
      if (closed) return;
      res.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);
    }
    res.end();
  }

  json(res, status, value) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  }
}

/** LangGraph event lines as the CopilotKit Python SDK streams them. */
const langgraph = {
  text(id, content, finish) {
    return { event: 'on_chat_model_stream', data: { chunk: { kwargs: { id, content, tool_call_chunks: [], ...(finish ? { response_metadata: { finish_reason: finish } } : {}) } } }, metadata: {} };
  },
  toolCall(id, { callId, name, args, finish } = {}) {
    const chunk = { ...(callId ? { id: callId } : {}), ...(name ? { name } : {}), args: args ?? '', index: 0 };
    return { event: 'on_chat_model_stream', data: { chunk: { kwargs: { id, content: '', tool_call_chunks: [chunk], ...(finish ? { response_metadata: { finish_reason: finish } } : {}) } } }, metadata: {} };
  },
  end(id, finish) {
    return { event: 'on_chat_model_stream', data: { chunk: { kwargs: { id, content: '', tool_call_chunks: [], response_metadata: { finish_reason: finish } } } }, metadata: {} };
  },
  stateSync({ threadId, agentName, nodeName = 'node', runId = 'run-1', active = true, running = true, state }) {
    return { event: 'on_copilotkit_state_sync', thread_id: threadId, agent_name: agentName, node_name: nodeName, run_id: runId, active, role: 'assistant', state, running };
  },
  interrupt(value) {
    return { event: 'on_interrupt', value };
  },
  error(message, type = 'AgentError') {
    return { event: 'on_copilotkit_error', data: { error: { message, type, agent_name: 'x' } } };
  },
};

module.exports = { MockRemoteEndpoint, langgraph };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The endpoint the remote-endpoint suites share: two actions, a CrewAI agent (runtime events), a
 * LangGraph agent (LangGraph events, with a state sync and an interrupt), a never-ending agent, an
 * agent that fails mid-run, and one stored thread.
 */
function scriptedRemote() {
  return MockRemoteEndpoint.start({
    actions: [
      {
        name: 'lookupOrder',
        description: 'Find an order',
        parameters: [{ name: 'orderId', type: 'string', description: 'The order', required: true }],
        handler: (args) => ({ orderId: args.orderId, status: 'shipped' }),
      },
      {
        name: 'failingRemote',
        description: 'Always fails',
        parameters: [],
        handler: () => {
          throw new Error('remote handler broke');
        },
      },
    ],
    agents: [
      {
        name: 'crew_agent',
        description: 'A CrewAI agent',
        type: 'crewai',
        run: (body) => [
          { type: 'TextMessageStart', messageId: 'crew-m1' },
          { type: 'TextMessageContent', messageId: 'crew-m1', content: 'Researching ' },
          { type: 'TextMessageContent', messageId: 'crew-m1', content: String(body.state?.topic ?? 'nothing') },
          { type: 'TextMessageEnd', messageId: 'crew-m1' },
          { type: 'AgentStateMessage', threadId: body.threadId, agentName: 'crew_agent', nodeName: 'research', runId: 'crew-run', active: true, role: 'assistant', state: JSON.stringify({ ...body.state, step: 2 }), running: true },
          { type: 'ActionExecutionStart', actionExecutionId: 'crew-c1', actionName: 'showNote', parentMessageId: 'crew-m1' },
          { type: 'ActionExecutionArgs', actionExecutionId: 'crew-c1', args: '{"note":' },
          { type: 'ActionExecutionArgs', actionExecutionId: 'crew-c1', args: '"otters"}' },
          { type: 'ActionExecutionEnd', actionExecutionId: 'crew-c1' },
          { type: 'AgentStateMessage', threadId: body.threadId, agentName: 'crew_agent', nodeName: '__end__', runId: 'crew-run', active: false, role: 'assistant', state: JSON.stringify({ ...body.state, step: 3 }), running: false },
        ],
      },
      {
        name: 'lg_agent',
        description: 'A LangGraph agent',
        type: 'langgraph',
        run: (body) => [
          langgraph.text('lg-m1', 'Hello'),
          langgraph.text('lg-m1', ' there'),
          langgraph.end('lg-m1', 'stop'),
          langgraph.toolCall('lg-m2', { callId: 'lg-c1', name: 'confirm', args: '{"a":' }),
          langgraph.toolCall('lg-m2', { args: '1}' }),
          langgraph.end('lg-m2', 'tool_calls'),
          langgraph.stateSync({ threadId: body.threadId, agentName: 'lg_agent', nodeName: 'plan', runId: 'lg-run', state: { plan: ['a', 'b'] } }),
          langgraph.interrupt('Approve the plan?'),
        ],
      },
      {
        name: 'slow_agent',
        description: 'Never finishes',
        type: 'crewai',
        run: async function* () {
          yield { type: 'TextMessageStart', messageId: 'slow-m1' };
          for (let i = 0; i < 2000; i++) {
            yield { type: 'TextMessageContent', messageId: 'slow-m1', content: '.' };
            await sleep(10);
          }
        },
      },
      {
        name: 'broken_agent',
        description: 'Fails mid-run',
        type: 'crewai',
        run: () => [
          { type: 'TextMessageStart', messageId: 'broken-m1' },
          { type: 'TextMessageContent', messageId: 'broken-m1', content: 'Starting…' },
          { type: 'RunError', message: 'the remote agent exploded' },
        ],
      },
    ],
    threads: {
      'thread-e': {
        threadExists: true,
        state: { topic: 'otters', step: 2 },
        messages: [
          { id: 'm-1', role: 'user', content: 'Research otters' },
          { id: 'm-2', role: 'assistant', content: 'Otters are semi-aquatic mammals.' },
        ],
      },
    },
  });
}

module.exports.scriptedRemote = scriptedRemote;
