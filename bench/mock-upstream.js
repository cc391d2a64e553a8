// The benchmark's Gemini upstream: a fixed-behaviour sibling of __test__/support/mock-gemini.js.
//
// The test mock is scriptable per request and parses every request body; under load that costs
// the load generator's CPU and needs a queue the size of the run. This one answers every request
// the same way until told otherwise (`setBehaviour`), with the response bytes built once, and it
// speaks both framings a CopilotKit runtime asks for:
//   * `?alt=sse` → `text/event-stream`, `data: {json}\r\n\r\n` per chunk (what @ai-sdk/google,
//     our runtime and the floor ask for), the same event shape the test mock writes;
//   * no `alt`  → one JSON array streamed element by element, `[{…}` `,\r\n{…}` … `]`
//     (what LangChain's ChatGoogle in @copilotkit/runtime 1.10.6 asks for; gemini-api.md §4.2).
//
// Text answers start with a per-request marker chunk `[#<seq>] `: the mock notes when it wrote
// that chunk, and the load generator, which runs in the same process, reads the marker from the
// first token it receives. That gives the latency a target adds to the first token exactly, per
// request, on one clock.
//
// It only ever listens on 127.0.0.1.
'use strict';

const http = require('node:http');

const MODEL = 'gemini-2.5-flash';

/** Deterministic text deltas: `count` chunks of a few characters each. */
function textChunks(count) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(`w${String(i).padStart(2, '0')} `);
  return out;
}

function markerChunk(seq) {
  return `[#${seq}] `;
}

/** Parse the marker a text answer starts with; -1 when the text does not start with one. */
function parseMarker(text) {
  if (typeof text !== 'string' || !text.startsWith('[#')) return -1;
  const end = text.indexOf('] ', 2);
  if (end < 0) return -1;
  const n = Number(text.slice(2, end));
  return Number.isInteger(n) ? n : -1;
}

/** One GenerateContentResponse, as the test mock builds it. */
function responseObject(parts, index, last) {
  const cand = { content: { parts, role: 'model' }, index: 0 };
  if (last) cand.finishReason = 'STOP';
  return {
    candidates: [cand],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: index + 1, totalTokenCount: 13 + index },
    modelVersion: MODEL,
    responseId: 'bench-mock-response',
  };
}

function frame(framing, obj, i, n) {
  const json = JSON.stringify(obj);
  if (framing === 'sse') return `data: ${json}\r\n\r\n`;
  // JSON array: `[{…}` then `,\r\n{…}` … then `]`
  return `${i === 0 ? '[' : ',\r\n'}${json}${i === n - 1 ? ']' : ''}`;
}

/**
 * Prebuilt frames for one behaviour. Text answers are built with a placeholder first chunk that is
 * replaced per request (the marker), so only that frame is serialised on the hot path.
 */
function buildFrames(behaviour, framing) {
  if (behaviour.kind === 'tool') {
    const obj = responseObject([{ functionCall: { name: behaviour.name, args: behaviour.args } }], 0, true);
    const rest = [Buffer.from(frame(framing, obj, 0, 1))];
    return { head: null, rest, restAll: rest[0] };
  }
  const chunks = behaviour.chunks;
  const n = chunks.length + 1; // marker + chunks
  const rest = chunks.map((t, i) => Buffer.from(frame(framing, responseObject([{ text: t }], i + 1, i + 1 === n - 1), i + 1, n)));
  const head = (seq) => frame(framing, responseObject([{ text: markerChunk(seq) }], 0, n === 1), 0, n);
  return { head, rest, restAll: Buffer.concat(rest) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class MockUpstream {
  constructor() {
    this.seq = 0;
    this.firstWriteAt = new Map(); // seq → performance.now() when the marker chunk was written
    this.mockTtft = []; // ms from request end to first chunk written, this phase
    this.requests = 0;
    this.errors = 0;
    this.heldOpen = new Set();
    this.server = http.createServer((req, res) => this._handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.headersTimeout = 65_000;
    this.server.requestTimeout = 0;
    this.server.maxHeadersCount = 0;
    this.sockets = new Set();
    this.server.on('connection', (s) => {
      s.setNoDelay(true);
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.setBehaviour({ kind: 'text', chunks: textChunks(5), delayMs: 0 });
  }

  static async start(options = {}) {
    const m = new MockUpstream();
    await new Promise((resolve) => m.server.listen(options.port ?? 0, '127.0.0.1', 1024, resolve));
    m.port = m.server.address().port;
    m.url = `http://127.0.0.1:${m.port}`;
    return m;
  }

  /**
   * kind 'text': `chunks` (array of strings) after the marker chunk, `delayMs` before every chunk
   *   (the first included), `hold`: write the marker, then wait for `release()` before the rest.
   * kind 'tool': one chunk calling `name` with `args`.
   */
  setBehaviour(behaviour) {
    this.behaviour = { delayMs: 0, ...behaviour };
    this.frames = { sse: buildFrames(this.behaviour, 'sse'), json: buildFrames(this.behaviour, 'json') };
    this._release = null;
    this._released = new Promise((r) => (this._release = r));
  }

  /** The text a client must end up with for request `seq`. */
  expectedText(seq) {
    return markerChunk(seq) + this.behaviour.chunks.join('');
  }

  /** Let every held-open answer finish. */
  release() {
    if (this._release) this._release();
  }

  resetPhase() {
    this.mockTtft = [];
    this.firstWriteAt.clear();
    this.requests = 0;
    this.errors = 0;
  }

  takeFirstWrite(seq) {
    const t = this.firstWriteAt.get(seq);
    if (t !== undefined) this.firstWriteAt.delete(seq);
    return t;
  }

  async close() {
    this.release();
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  _handle(req, res) {
    // The body is read and dropped: the answer does not depend on it.
    req.on('data', () => {});
    req.on('end', () => {
      this.requests++;
      const framing = req.url.includes('alt=sse') ? 'sse' : 'json';
      this._respond(res, framing, performance.now()).catch(() => {
        this.errors++;
        res.destroy();
      });
    });
  }

  async _respond(res, framing, arrivedAt) {
    const b = this.behaviour;
    const frames = this.frames[framing];
    const released = this._released;
    res.writeHead(200, { 'content-type': framing === 'sse' ? 'text/event-stream' : 'application/json; charset=UTF-8' });
    const delay = b.delayMs;
    let first = true;
    const noteFirst = () => {
      if (!first) return;
      first = false;
      this.mockTtft.push(performance.now() - arrivedAt);
    };
    if (frames.head && !delay && !b.hold) {
      // Unpaced text: marker and answer in one write.
      const seq = ++this.seq;
      this.firstWriteAt.set(seq, performance.now());
      noteFirst();
      res.end(Buffer.concat([Buffer.from(frames.head(seq)), frames.restAll]));
      return;
    }
    if (frames.head) {
      const seq = ++this.seq;
      if (delay) await sleep(delay);
      if (res.destroyed) return;
      this.firstWriteAt.set(seq, performance.now());
      noteFirst();
      res.write(frames.head(seq));
      if (b.hold) {
        this.heldOpen.add(res);
        await released;
        this.heldOpen.delete(res);
      }
    }
    const rest = frames.rest;
    if (!delay) {
      // No pacing: hand the rest of the answer to the socket at once, like a fast upstream.
      noteFirst();
      if (!res.destroyed) res.end(frames.restAll);
      return;
    }
    for (let i = 0; i < rest.length; i++) {
      await sleep(delay);
      if (res.destroyed) return;
      noteFirst();
      res.write(rest[i]);
    }
    res.end();
  }
}

module.exports = { MockUpstream, textChunks, markerChunk, parseMarker };

if (require.main === module) {
  MockUpstream.start({ port: Number(process.env.PORT || 0) }).then((m) => {
    const n = Number(process.env.CHUNKS || 20);
    m.setBehaviour({ kind: 'text', chunks: textChunks(n), delayMs: Number(process.env.DELAY_MS || 0) });
    process.stdout.write(`benchmark Gemini mock listening on ${m.url} (${n} chunks, ${m.behaviour.delayMs} ms apart)\n`);
  });
}
