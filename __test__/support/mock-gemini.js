// A local, scriptable, Gemini-compatible server (`:streamGenerateContent?alt=sse`), used by the
// tests, the benchmark and the offline demo. It only ever listens on 127.0.0.1.
//
//   const mock = await MockGemini.start();
//   mock.enqueue(MockGemini.text(['Hello', ' world']));      // next request gets this answer
//   process.env.GOOGLE_GEMINI_BASE_URL = mock.url;
//   … mock.requests[0].body, mock.requests[0].closedEarlyAt …
//
// With nothing queued it answers as the clearly labelled offline demo model: it calls a tool the
// request offers when the user's words name it, and otherwise streams a short text answer.
'use strict';

const http = require('node:http');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class MockGemini {
  constructor(options = {}) {
    this.queue = [];
    this.requests = [];
    this.demo = options.demo !== false;
    this.defaultDelayMs = options.delayMs ?? 0;
    this.server = http.createServer((req, res) => this._handle(req, res));
    this.server.keepAliveTimeout = 5000;
    this.sockets = new Set();
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this._waiters = [];
  }

  static async start(options = {}) {
    const m = new MockGemini(options);
    await new Promise((resolve) => m.server.listen(options.port ?? 0, '127.0.0.1', resolve));
    m.port = m.server.address().port;
    m.url = `http://127.0.0.1:${m.port}`;
    return m;
  }

  /** Queue the response for the next request (FIFO). */
  enqueue(...responses) {
    this.queue.push(...responses);
    return this;
  }

  reset() {
    this.queue = [];
    this.requests = [];
  }

  /** Resolves with the n-th request (1-based count) once it has arrived. */
  waitForRequest(n = this.requests.length + 1, timeoutMs = 10000) {
    if (this.requests.length >= n) return Promise.resolve(this.requests[n - 1]);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`mock Gemini: request ${n} did not arrive within ${timeoutMs} ms`)), timeoutMs);
      this._waiters.push({ n, resolve: (r) => { clearTimeout(t); resolve(r); } });
    });
  }

  /** Resolves when request `rec` had its connection closed by the client before the answer ended. */
  waitForClientClose(rec, timeoutMs = 10000) {
    if (rec.closedEarlyAt) return Promise.resolve(rec.closedEarlyAt);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('mock Gemini: the client never closed the connection')), timeoutMs);
      rec._onClose = (at) => { clearTimeout(t); resolve(at); };
    });
  }

  async close() {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------------
  // Response builders

  /** A streamed text answer: one SSE event per delta. */
  static text(deltas, opts = {}) {
    const list = Array.isArray(deltas) ? deltas : [deltas];
    return { ...opts, parts: list.map((t) => ({ text: t })) };
  }

  /** One model turn calling the given functions (all parts in one chunk, like Gemini 2.5). */
  static functionCalls(calls, opts = {}) {
    return { ...opts, chunks: [{ parts: calls.map((c) => ({ functionCall: { name: c.name, args: c.args ?? {} } })) }] };
  }

  /** An HTTP error with Google's error body (`opts.headers`: extra response headers, e.g. retry-after-ms). */
  static error(code, message, status, details, opts = {}) {
    const body = { error: { code, message, status } };
    if (details) body.error.details = details;
    return { ...opts, httpStatus: code, errorBody: body };
  }

  // ------------------------------------------------------------------------------------------

  _handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = null;
      try {
        body = JSON.parse(raw);
      } catch {
        /* recorded as null */
      }
      const rec = {
        method: req.method,
        url: req.url,
        path: req.url.split('?')[0],
        headers: req.headers,
        body,
        receivedAt: performance.now(),
        closedEarlyAt: null,
        finishedAt: null,
        /** performance.now() of each SSE event written, in order */
        writes: [],
      };
      this.requests.push(rec);
      for (const w of this._waiters.filter((w) => this.requests.length >= w.n)) {
        this._waiters.splice(this._waiters.indexOf(w), 1);
        w.resolve(this.requests[w.n - 1]);
      }
      let ended = false;
      res.on('close', () => {
        if (!ended) {
          rec.closedEarlyAt = performance.now();
          if (rec._onClose) rec._onClose(rec.closedEarlyAt);
        }
      });
      const spec = this.queue.length ? this.queue.shift() : this.demo ? demoAnswer(body) : MockGemini.error(500, 'mock Gemini: nothing scripted', 'INTERNAL');
      try {
        await this._respond(res, spec, rec);
      } catch {
        /* client went away */
      }
      ended = true;
      rec.finishedAt = performance.now();
    });
  }

  async _respond(res, spec, rec = { writes: [] }) {
    if (spec.firstByteDelayMs) await sleep(spec.firstByteDelayMs);
    if (res.destroyed) return;
    if (spec.httpStatus && spec.httpStatus !== 200) {
      res.writeHead(spec.httpStatus, { 'content-type': 'application/json; charset=UTF-8', ...(spec.headers ?? {}) });
      res.end(JSON.stringify(spec.errorBody ?? { error: { code: spec.httpStatus, message: 'error', status: 'UNKNOWN' } }, null, 2));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (spec.hang) return new Promise(() => {});
    const sep = spec.crlf === false ? '\n\n' : '\r\n\r\n';
    const events = buildEvents(spec);
    const delay = spec.delayMs ?? this.defaultDelayMs;
    for (let i = 0; i < events.length; i++) {
      if (i > 0 && delay) await sleep(delay);
      if (res.destroyed) return;
      if (spec.cutAfter !== undefined && i >= spec.cutAfter) {
        res.destroy();
        return;
      }
      const ev = events[i];
      res.write(typeof ev === 'string' ? ev : `data: ${JSON.stringify(ev)}${sep}`);
      rec.writes.push(performance.now());
    }
    if (spec.cutAfter !== undefined) {
      res.destroy();
      return;
    }
    if (spec.holdOpen) return new Promise(() => {});
    res.end();
  }
}

function buildEvents(spec) {
  if (spec.raw) return spec.raw; // array of raw strings written as they are
  const model = spec.model ?? 'gemini-2.5-flash';
  const chunks = spec.chunks ?? (spec.parts ?? []).map((p) => ({ parts: [p] }));
  const prompt = 12;
  let out = 0;
  const events = chunks.map((c, i) => {
    out += 1;
    const last = i === chunks.length - 1;
    const cand = { content: { parts: c.parts, role: 'model' }, index: 0 };
    if (last && spec.finishReason !== null) cand.finishReason = spec.finishReason ?? 'STOP';
    return {
      candidates: [cand],
      usageMetadata: { promptTokenCount: prompt, candidatesTokenCount: out, totalTokenCount: prompt + out },
      modelVersion: model,
      responseId: 'mock-response',
    };
  });
  if (chunks.length === 0 && spec.finishReason !== null) {
    events.push({ candidates: [{ content: { parts: [], role: 'model' }, finishReason: spec.finishReason ?? 'STOP', index: 0 }], modelVersion: model });
  }
  if (spec.promptBlocked) events.splice(0, events.length, { promptFeedback: { blockReason: spec.promptBlocked } });
  if (spec.inBandError) events.push({ error: spec.inBandError });
  return events;
}

// ---------------------------------------------------------------------------------------------
// The offline demo model

function words(s) {
  return String(s)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function demoAnswer(body) {
  const contents = (body && body.contents) || [];
  const last = contents[contents.length - 1];
  const lastParts = (last && last.parts) || [];
  const results = lastParts.filter((p) => p.functionResponse);
  if (results.length) {
    const summary = results
      .map((p) => `${p.functionResponse.name} returned ${JSON.stringify(p.functionResponse.response)}`)
      .join('; ');
    return MockGemini.text(['[offline demo model] ', 'Done: ', summary, '.'], { delayMs: 30 });
  }
  const userText = lastParts.map((p) => p.text || '').join(' ');
  const decls = ((body && body.tools) || []).flatMap((t) => t.functionDeclarations || []);
  const said = new Set(words(userText));
  let best = null;
  for (const d of decls) {
    if (d.name.startsWith('AGUISend')) continue;
    const ws = words(d.name).filter((w) => w.length > 3);
    if (ws.length === 0) continue; // nothing to recognise the tool by
    const score = ws.filter((w) => said.has(w)).length;
    if (score >= Math.min(2, ws.length) && (!best || score > best.score)) best = { d, score };
  }
  if (best) {
    const args = {};
    const props = (best.d.parameters && best.d.parameters.properties) || {};
    const tokens = words(userText);
    for (const [name, schema] of Object.entries(props)) {
      const type = String(schema.type || 'string').toLowerCase();
      if (schema.enum) args[name] = schema.enum.find((e) => said.has(String(e).toLowerCase())) ?? schema.enum[0];
      else if (type === 'number' || type === 'integer') args[name] = Number((userText.match(/-?\d+(\.\d+)?/) || ['1'])[0]);
      else if (type === 'boolean') args[name] = true;
      else if (type === 'string') args[name] = tokens[tokens.length - 1] ?? '';
    }
    return MockGemini.functionCalls([{ name: best.d.name, args }]);
  }
  const reply = `[offline demo model] You said: "${userText.trim()}". Set GOOGLE_API_KEY to talk to Gemini.`;
  return MockGemini.text(reply.match(/.{1,12}(\s|$)|.{1,12}/g), { delayMs: 30 });
}

module.exports = { MockGemini };

if (require.main === module) {
  const port = Number(process.env.PORT || 0);
  MockGemini.start({ port }).then((m) => {
    process.stdout.write(`offline Gemini-compatible demo mock listening on ${m.url}\n`);
  });
}
