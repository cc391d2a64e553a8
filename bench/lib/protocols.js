// Requests the load generator sends, and the incremental parsers that validate what comes back.
//
// Request bodies are the exact bodies the real clients sent in the conformance captures
// (bench/fixtures/, see its README), with fresh thread, run and message ids for every request.
//
// A checker is fed the response as it streams (`headers`, then `data` per network chunk) and says
// when the first token arrived; `finish()` then judges the whole answer. A request counts as a
// success only when the status, the framing, the end-of-answer marker and the streamed text (or
// tool call) are all right.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { StringDecoder } = require('node:string_decoder');

const FIXTURES = path.join(__dirname, '..', 'fixtures');

const GQL_HEADERS = {
  accept: 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
  'content-type': 'application/json',
  'x-copilotkit-runtime-client-gql-version': '1.10.6',
};
const AGUI_HEADERS = { 'content-type': 'application/json', accept: 'text/event-stream' };

/**
 * A body template: the captured bytes split around the ids that must be fresh per request, so a
 * request costs a few string concatenations.
 */
function template(file, idsOf) {
  const raw = fs.readFileSync(path.join(FIXTURES, file), 'utf8');
  const ids = [...new Set(idsOf(JSON.parse(raw)).filter((v) => typeof v === 'string' && v))];
  let pieces = [raw];
  for (const id of ids) {
    const quoted = JSON.stringify(id);
    const next = [];
    for (const p of pieces) {
      if (typeof p !== 'string') next.push(p);
      else {
        const parts = p.split(quoted);
        parts.forEach((s, i) => {
          if (i > 0) next.push({ id });
          next.push(s);
        });
      }
    }
    pieces = next;
  }
  return () => {
    const fresh = new Map(ids.map((id) => [id, JSON.stringify(`bench-${randomUUID()}`)]));
    let out = '';
    for (const p of pieces) out += typeof p === 'string' ? p : fresh.get(p.id);
    return out;
  };
}

const graphqlIds = (b) => [b.variables.data.threadId, b.variables.data.runId, ...b.variables.data.messages.map((m) => m.id)];
const aguiIds = (b) => [b.body.threadId, b.body.runId, ...b.body.messages.map((m) => m.id)];

const BODIES = {
  graphql: {
    text: template('graphql-text.request.json', graphqlIds),
    tool: template('graphql-tool.request.json', graphqlIds),
  },
  agui: {
    text: template('agui-text.request.json', aguiIds),
    tool: template('agui-tool.request.json', aguiIds),
  },
};

/** The frontend tool each capture offers, and what the mock model calls it with. */
const TOOLS = {
  graphql: { name: 'setBackgroundColor', args: { color: 'blue' } },
  agui: { name: 'changeBackgroundColor', args: { color: 'blue' } },
};

/**
 * protocol: 'graphql' | 'agui' | 'gemini' (the floor, which forwards an AG-UI body and streams
 * Gemini's SSE back). kind: 'text' | 'tool'.
 */
function requestFor(protocol, kind) {
  const bodyProto = protocol === 'graphql' ? 'graphql' : 'agui';
  return {
    method: 'POST',
    path: '/api/copilotkit',
    headers: protocol === 'graphql' ? GQL_HEADERS : AGUI_HEADERS,
    body: BODIES[bodyProto][kind],
  };
}

function toolFor(protocol) {
  return TOOLS[protocol === 'graphql' ? 'graphql' : 'agui'];
}

// ---------------------------------------------------------------------------------------------
// Checkers

function sameJson(a, b) {
  return canonical(a) === canonical(b);
}

function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function shorten(s, n = 120) {
  s = String(s);
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

class BaseChecker {
  /** expect: { kind: 'text', expectedText(fullText) → string } | { kind: 'tool', name, args } */
  constructor(expect) {
    this.expect = expect;
    this.decoder = new StringDecoder('utf8');
    this.buf = '';
    this.status = 0;
    this.contentType = '';
    this.error = null;
    this.firstToken = false;
    this.text = '';
    this.tool = null; // { name, args: string }
    this.done = false;
    this.bytes = 0;
  }

  headers(status, contentType) {
    this.status = status;
    this.contentType = contentType || '';
    if (status !== 200) this.fail(`HTTP ${status}`);
  }

  fail(msg) {
    if (!this.error) this.error = msg;
  }

  /** Feed a chunk; true when this chunk carried the first token (text delta or tool call start). */
  data(chunk) {
    this.bytes += chunk.length;
    if (this.status !== 200) {
      if (this.errorBody === undefined) this.errorBody = '';
      if (this.errorBody.length < 300) this.errorBody += this.decoder.write(chunk);
      return false;
    }
    const before = this.firstToken;
    this.buf += this.decoder.write(chunk);
    try {
      this.parse();
    } catch (e) {
      this.fail(`bad stream: ${e.message}`);
    }
    return !before && this.firstToken;
  }

  /** Judge the complete answer. Returns null when valid, else the reason. */
  finish() {
    if (this.status !== 200) {
      const body = (this.errorBody || '').replace(/\s+/g, ' ').trim();
      return `HTTP ${this.status}${body ? `: ${shorten(body, 80)}` : ''}`;
    }
    if (this.error) return this.error;
    if (!this.done) return 'stream ended before the end-of-answer marker';
    if (this.expect.kind === 'text') {
      const want = this.expect.expectedText(this.text);
      if (this.text !== want) return `text mismatch: got ${shorten(JSON.stringify(this.text), 60)}`;
      return null;
    }
    if (!this.tool) return 'no tool call';
    if (this.tool.name !== this.expect.name) return `tool name ${this.tool.name}`;
    let args;
    try {
      args = JSON.parse(this.tool.args);
    } catch {
      return `tool args not JSON: ${shorten(this.tool.args, 60)}`;
    }
    if (!sameJson(args, this.expect.args)) return `tool args ${shorten(this.tool.args, 60)}`;
    return null;
  }
}

/** GraphQL `generateCopilotResponse` over multipart/mixed (@defer/@stream, protocol-graphql.md §6). */
class GraphqlChecker extends BaseChecker {
  headers(status, contentType) {
    super.headers(status, contentType);
    if (status !== 200) return;
    const m = /^multipart\/mixed/i.test(this.contentType) && /boundary="?([^=";]+)"?/i.exec(this.contentType);
    if (!m) {
      this.fail(`content-type ${this.contentType || '(none)'} is not multipart/mixed`);
      this.delimiter = '\r\n---';
    } else {
      this.delimiter = `\r\n--${m[1]}`;
    }
    this.started = false; // preamble skipped
    this.root = null;
  }

  parse() {
    for (;;) {
      if (this.done) return;
      const at = this.buf.indexOf(this.delimiter);
      if (at < 0) return;
      const part = this.buf.slice(0, at);
      this.buf = this.buf.slice(at + this.delimiter.length);
      if (this.started) this.part(part);
      this.started = true;
      if (this.buf.startsWith('--')) {
        // closing delimiter
        if (!this.done) this.fail('multipart closed without hasNext:false');
        return;
      }
    }
  }

  part(raw) {
    const sep = raw.indexOf('\r\n\r\n');
    const json = sep >= 0 ? raw.slice(sep + 4) : raw;
    if (!json.trim()) return;
    const p = JSON.parse(json);
    if (p.errors && p.errors.length) this.fail(`GraphQL error: ${shorten(p.errors[0].message, 80)}`);
    if (p.data !== undefined && this.root === null) {
      this.root = p.data;
      if (this.root === null) this.fail('data: null');
    }
    if (p.incremental) {
      if (!this.root) throw new Error('incremental payload before the initial payload');
      for (const entry of p.incremental) this.apply(entry);
    }
    if (p.hasNext === false) this.done = true;
  }

  apply(entry) {
    if (entry.errors && entry.errors.length) this.fail(`GraphQL error: ${shorten(entry.errors[0].message, 80)}`);
    const pth = entry.path;
    if (entry.items) {
      const list = at(this.root, pth.slice(0, -1));
      if (!Array.isArray(list)) throw new Error(`stream items for a missing list at ${pth.join('.')}`);
      let i = pth[pth.length - 1];
      const field = pth[pth.length - 2];
      for (const item of entry.items) {
        if (i !== list.length) throw new Error(`non-contiguous stream index at ${pth.join('.')}`);
        list[i++] = item;
        if (field === 'content' && typeof item === 'string' && item.length) this.firstToken = true;
        if (field === 'messages' && item && item.__typename === 'ActionExecutionMessageOutput') this.firstToken = true;
      }
    } else if (entry.data) {
      const obj = at(this.root, pth);
      if (!obj || typeof obj !== 'object') throw new Error(`deferred data for a missing object at ${pth.join('.')}`);
      Object.assign(obj, entry.data);
    }
  }

  finish() {
    if (this.status === 200 && !this.error && this.done) {
      const resp = this.root && this.root.generateCopilotResponse;
      if (!resp) return 'no generateCopilotResponse';
      const code = resp.status && resp.status.code;
      if (code !== 'Success') return `response status ${code || '(none)'}${resp.status && resp.status.reason ? `: ${shorten(resp.status.reason, 60)}` : ''}`;
      const messages = resp.messages || [];
      for (const m of messages) {
        if (m.status && m.status.code !== 'Success') return `message status ${m.status.code}`;
      }
      this.text = messages
        .filter((m) => m.__typename === 'TextMessageOutput')
        .map((m) => (Array.isArray(m.content) ? m.content.join('') : ''))
        .join('');
      const call = messages.find((m) => m.__typename === 'ActionExecutionMessageOutput');
      if (call) this.tool = { name: call.name, args: Array.isArray(call.arguments) ? call.arguments.join('') : '' };
    }
    return super.finish();
  }
}

function at(root, pth) {
  let o = root;
  for (const k of pth) {
    if (o === null || o === undefined) return undefined;
    o = o[k];
  }
  return o;
}

/** AG-UI events over SSE: `data: {json}\n\n` (protocol-agui.md §7, §8). */
class AguiChecker extends BaseChecker {
  headers(status, contentType) {
    super.headers(status, contentType);
    if (status === 200 && !/^text\/event-stream/i.test(this.contentType)) this.fail(`content-type ${this.contentType || '(none)'} is not text/event-stream`);
    this.events = 0;
  }

  parse() {
    for (;;) {
      const at = this.buf.indexOf('\n\n');
      if (at < 0) return;
      const frame = this.buf.slice(0, at);
      this.buf = this.buf.slice(at + 2);
      let data = null;
      for (const line of frame.split('\n')) {
        if (line.startsWith('data:')) data = (data === null ? '' : `${data}\n`) + line.slice(line[5] === ' ' ? 6 : 5);
      }
      if (data !== null) this.event(JSON.parse(data));
    }
  }

  event(ev) {
    this.events++;
    if (this.events === 1 && ev.type !== 'RUN_STARTED') this.fail(`first event ${ev.type}, not RUN_STARTED`);
    if (this.done) this.fail(`event ${ev.type} after RUN_FINISHED`);
    switch (ev.type) {
      case 'TEXT_MESSAGE_CONTENT':
      case 'TEXT_MESSAGE_CHUNK':
        if (typeof ev.delta === 'string') {
          this.text += ev.delta;
          if (ev.delta) this.firstToken = true;
        }
        break;
      case 'TOOL_CALL_START':
        if (!this.tool) this.tool = { name: ev.toolCallName, args: '', id: ev.toolCallId };
        this.firstToken = true;
        break;
      case 'TOOL_CALL_CHUNK':
        if (!this.tool) this.tool = { name: ev.toolCallName, args: '', id: ev.toolCallId };
        if (typeof ev.delta === 'string') this.tool.args += ev.delta;
        this.firstToken = true;
        break;
      case 'TOOL_CALL_ARGS':
        if (this.tool && ev.toolCallId === this.tool.id && typeof ev.delta === 'string') this.tool.args += ev.delta;
        break;
      case 'RUN_ERROR':
        this.fail(`RUN_ERROR: ${shorten(ev.message, 80)}`);
        break;
      case 'RUN_FINISHED':
        this.done = true;
        break;
      default:
        break;
    }
  }
}

/** What the floor streams back: Gemini's own SSE (`data: {json}\r\n\r\n`, gemini-api.md §4.2). */
class GeminiChecker extends BaseChecker {
  headers(status, contentType) {
    super.headers(status, contentType);
    if (status === 200 && !/^text\/event-stream/i.test(this.contentType)) this.fail(`content-type ${this.contentType || '(none)'} is not text/event-stream`);
  }

  parse() {
    for (;;) {
      let at = this.buf.indexOf('\r\n\r\n');
      let len = 4;
      const lf = this.buf.indexOf('\n\n');
      if (lf >= 0 && (at < 0 || lf < at)) {
        at = lf;
        len = 2;
      }
      if (at < 0) return;
      const frame = this.buf.slice(0, at);
      this.buf = this.buf.slice(at + len);
      if (frame.startsWith('data:')) this.chunk(JSON.parse(frame.slice(5)));
    }
  }

  chunk(c) {
    if (c.error) this.fail(`upstream error ${c.error.code}`);
    const cand = c.candidates && c.candidates[0];
    if (!cand) return;
    for (const part of (cand.content && cand.content.parts) || []) {
      if (typeof part.text === 'string') {
        this.text += part.text;
        if (part.text) this.firstToken = true;
      } else if (part.functionCall && !this.tool) {
        this.tool = { name: part.functionCall.name, args: JSON.stringify(part.functionCall.args || {}) };
        this.firstToken = true;
      }
    }
    if (cand.finishReason) this.done = true;
  }
}

function checkerFor(protocol, expect) {
  if (protocol === 'graphql') return new GraphqlChecker(expect);
  if (protocol === 'agui') return new AguiChecker(expect);
  return new GeminiChecker(expect);
}

module.exports = { requestFor, toolFor, checkerFor, sameJson };
