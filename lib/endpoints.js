// The five endpoint factories of @copilotkit/runtime. Each adapts its web framework's request and
// response to the native runtime: the body is read (or rebuilt when a body parser already read it),
// handed to Rust, and the answer is written back frame by frame as Rust produces it. A client that
// goes away cancels the native request, which aborts the upstream LLM call at once.
'use strict';

const { headOf, batchOf } = require('./native');
const { IncomingMessage } = require('node:http');
const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

function endpointConfig(options) {
  const basePath = normaliseBase(options.baseUrl ?? options.endpoint ?? '/');
  const cfg = { basePath };
  if (options.cors !== undefined) cfg.cors = serialiseCors(options.cors);
  if (options.bodyLimit !== undefined) cfg.bodyLimit = options.bodyLimit;
  if (options.maxMessages !== undefined) cfg.maxMessages = options.maxMessages;
  if (options.properties && typeof options.properties === 'object') cfg.properties = options.properties;
  return cfg;
}

function normaliseBase(p) {
  let s = String(p || '/');
  if (/^https?:\/\//i.test(s)) {
    try {
      s = new URL(s).pathname;
    } catch {
      /* keep as given */
    }
  }
  if (!s.startsWith('/')) s = `/${s}`;
  if (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

function serialiseCors(cors) {
  if (cors === false) return { enabled: false };
  if (cors === true || cors == null) return { enabled: true };
  // An origin function cannot cross into Rust: Rust answers as for `*` and `dynamicCors` below
  // rewrites the headers per request (credentials included, so `*` is never widened by Rust).
  if (typeof cors.origin === 'function') return { enabled: true };
  const out = { enabled: true };
  if (typeof cors.origin === 'string' || Array.isArray(cors.origin)) out.origin = cors.origin;
  if (cors.credentials !== undefined) out.credentials = !!cors.credentials;
  return out;
}

/**
 * A flat `[name, value, name, value, …]` list as the object `res.writeHead` takes (repeated names,
 * e.g. set-cookie, become arrays). Node itself accepts the flat list, but wrappers in front of it do
 * not all: Next.js's `next start` compression (on-headers) reads an array as `[name, value]` pairs.
 */
function headerObject(flat) {
  const out = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i].toLowerCase();
    const v = flat[i + 1];
    if (out[k] === undefined) out[k] = v;
    else out[k] = [].concat(out[k], v);
  }
  return out;
}

/**
 * `cors: { origin: (requestOrigin) => allowed, credentials }` (spec §4): the allowed origin is the
 * function's (possibly async) answer for the request's `Origin`; nothing is allowed when it is
 * falsy, throws, or the request has no `Origin`. Applied to the flat header list Rust produced,
 * and only where Rust added CORS headers (not outside the base path).
 */
function hasOriginFunction(options) {
  return Boolean(options.cors && typeof options.cors.origin === 'function');
}

async function dynamicCors(options, requestOrigin, flat) {
  const cors = options.cors;
  if (!cors || typeof cors.origin !== 'function') return flat;
  if (!flat.some((v, i) => i % 2 === 0 && v.toLowerCase() === 'access-control-allow-origin')) return flat;
  let allowed = null;
  if (requestOrigin) {
    try {
      allowed = await cors.origin(requestOrigin);
    } catch (err) {
      process.emitWarning(`copilot-runtime-rs: cors.origin threw, no origin allowed: ${err && err.message}`);
    }
  }
  const out = [];
  let vary = null;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i].toLowerCase();
    if (k === 'access-control-allow-origin' || k === 'access-control-allow-credentials') continue;
    if (k === 'vary') {
      vary = flat[i + 1];
      continue;
    }
    if (!allowed && k === 'access-control-expose-headers') continue;
    out.push(flat[i], flat[i + 1]);
  }
  if (allowed) {
    let origin = String(allowed);
    if (cors.credentials && origin === '*') origin = requestOrigin;
    out.push('access-control-allow-origin', origin);
    if (cors.credentials) out.push('access-control-allow-credentials', 'true');
    if (origin !== '*') vary = vary ? `Origin, ${vary}` : 'Origin';
  }
  if (vary) out.push('vary', vary);
  return out;
}

function bodyLimit(options) {
  return options.bodyLimit ?? DEFAULT_BODY_LIMIT;
}

function nativeFor(options) {
  const { runtime, serviceAdapter } = options ?? {};
  if (!runtime || typeof runtime._native !== 'function') {
    throw new TypeError('copilot-runtime-rs: the endpoint factory needs `runtime: new CopilotRuntime(...)`');
  }
  return runtime._native(serviceAdapter, endpointConfig(options));
}

function tooLarge(limit) {
  return {
    status: 413,
    headers: ['content-type', 'application/json'],
    body: Buffer.from(JSON.stringify({ error: 'payload_too_large', message: `Request body exceeds ${limit} bytes` })),
  };
}

// ---------------------------------------------------------------------------------------------
// Fetch API (Next.js App Router, and Node HTTP called with a single Request)

async function handleFetch(options, request) {
  const rt = nativeFor(options);
  const url = new URL(request.url, 'http://localhost');
  const headers = [];
  request.headers.forEach((v, k) => headers.push(k, v));
  const limit = bodyLimit(options);
  let body = Buffer.alloc(0);
  if (request.body && request.method !== 'GET' && request.method !== 'HEAD') {
    const chunks = [];
    let size = 0;
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        const r = tooLarge(limit);
        return new Response(r.body, { status: r.status, headers: pairs(r.headers) });
      }
      chunks.push(value);
    }
    body = Buffer.concat(chunks);
  }
  const req = rt.start(request.method, url.pathname + url.search, headers, body);
  const signal = request.signal;
  const onAbort = () => req.cancel();
  if (signal) {
    if (signal.aborted) req.cancel();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  const head = await headOf(req);
  const init = { status: head.status, headers: pairs(await dynamicCors(options, request.headers.get('origin'), head.headers)) };
  if (head.body) {
    if (signal) signal.removeEventListener('abort', onAbort);
    return new Response(nullBodyStatus(head.status) ? null : head.body, init);
  }
  const stream = new ReadableStream({
    pull(controller) {
      let batch;
      try {
        batch = req.tryNextBatch();
      } catch (err) {
        controller.error(err);
        return undefined;
      }
      if (batch === undefined) return pullSlow(req, controller, signal, onAbort);
      deliver(controller, batch, signal, onAbort);
      return undefined;
    },
    cancel() {
      req.cancel();
    },
  });
  return new Response(stream, init);
}

/** The async path of `pull`: nothing was ready when the stream asked. */
async function pullSlow(req, controller, signal, onAbort) {
  try {
    deliver(controller, await batchOf(req), signal, onAbort);
  } catch (err) {
    controller.error(err);
  }
}

function deliver(controller, batch, signal, onAbort) {
  if (batch === null) {
    if (signal) signal.removeEventListener('abort', onAbort);
    controller.close();
  } else {
    controller.enqueue(new Uint8Array(batch.buffer, batch.byteOffset, batch.byteLength));
  }
}

function nullBodyStatus(status) {
  return status === 101 || status === 204 || status === 205 || status === 304;
}

function pairs(flat) {
  const h = new Headers();
  for (let i = 0; i + 1 < flat.length; i += 2) h.append(flat[i], flat[i + 1]);
  return h;
}

// ---------------------------------------------------------------------------------------------
// Node http (IncomingMessage / ServerResponse): Node HTTP, Express, NestJS, Next.js Pages Router

function looksLikeFetchRequest(x) {
  if (!x || typeof x !== 'object') return false;
  // A Node request is told apart without touching the global `Request`: its first use loads
  // Node's fetch implementation (undici), ≈ 10 ms on the first request of a Node-only server.
  if (x instanceof IncomingMessage) return false;
  if (typeof Request !== 'undefined' && x instanceof Request) return true;
  return typeof x.url === 'string' && typeof x.headers?.get === 'function' && typeof x.method === 'string' && !('socket' in x) && typeof x.arrayBuffer === 'function';
}

function readNodeBody(req, limit) {
  // A body parser (express.json(), Next.js Pages Router, NestJS) may have consumed the stream.
  if (req.body !== undefined && req.body !== null && (req.readableEnded || req.complete || typeof req.body !== 'undefined')) {
    if (Buffer.isBuffer(req.body)) return Promise.resolve({ body: req.body });
    if (typeof req.body === 'string') return Promise.resolve({ body: Buffer.from(req.body) });
    if (typeof req.body === 'object') {
      const hasKeys = Object.keys(req.body).length > 0;
      if (hasKeys || req.readableEnded) {
        return Promise.resolve({ body: Buffer.from(JSON.stringify(req.body)), contentType: 'application/json' });
      }
    }
  }
  if (req.readableEnded) return Promise.resolve({ body: Buffer.alloc(0) });
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let done = false;
    req.on('data', (c) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        req.resume();
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve({ body: Buffer.concat(chunks) });
      }
    });
    req.on('error', (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
  });
}

function nodeHeaders(req, contentTypeOverride) {
  const out = [];
  const raw = req.rawHeaders;
  if (Array.isArray(raw) && raw.length) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const k = raw[i].toLowerCase();
      if (contentTypeOverride && (k === 'content-type' || k === 'content-length')) continue;
      out.push(k, raw[i + 1]);
    }
  } else {
    for (const [k, v] of Object.entries(req.headers || {})) {
      if (contentTypeOverride && (k === 'content-type' || k === 'content-length')) continue;
      if (Array.isArray(v)) for (const x of v) out.push(k, String(x));
      else if (v !== undefined) out.push(k, String(v));
    }
  }
  if (contentTypeOverride) out.push('content-type', contentTypeOverride);
  return out;
}

async function handleNode(options, req, res) {
  const rt = nativeFor(options);
  const limit = bodyLimit(options);
  let native = null;
  let finished = false;
  const onClose = () => {
    if (!finished && native) native.cancel();
  };
  res.on('close', onClose);
  try {
    const read = await readNodeBody(req, limit);
    if (read.tooLarge) {
      const r = tooLarge(limit);
      res.writeHead(r.status, headerObject(r.headers));
      res.end(r.body);
      finished = true;
      return;
    }
    // Express strips its mount path from req.url; originalUrl is what the client asked for.
    const url = req.originalUrl || req.url || '/';
    native = rt.start(req.method || 'GET', url, nodeHeaders(req, read.contentType), read.body);
    if (res.destroyed || res.writableEnded) {
      native.cancel();
      return;
    }
    const head = await headOf(native);
    const headers = hasOriginFunction(options) ? await dynamicCors(options, req.headers && req.headers.origin, head.headers) : head.headers;
    if (res.destroyed) return;
    res.writeHead(head.status, headerObject(headers));
    if (head.body) {
      res.end(nullBodyStatus(head.status) ? undefined : head.body);
      finished = true;
      return;
    }
    // A batch that is ready now needs no async round trip through the addon, and goes out with
    // the headers; the headers are sent on their own only when the body has to wait.
    let batch = native.tryNextBatch();
    if (batch === undefined && typeof res.flushHeaders === 'function') res.flushHeaders();
    for (;;) {
      if (batch === undefined) batch = await batchOf(native);
      if (batch === null) break;
      if (res.destroyed) return;
      const next = native.tryNextBatch();
      if (next === null) {
        // The last batch and the end of the body in one write.
        res.end(batch);
        finished = true;
        return;
      }
      const room = res.write(batch);
      batch = next;
      if (!room) {
        await new Promise((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        if (res.destroyed) return;
      }
    }
    res.end();
    finished = true;
  } catch (err) {
    if (native) native.cancel();
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal_error' }));
    } else if (!res.destroyed) {
      res.destroy();
    }
    process.emitWarning(`copilot-runtime-rs: request failed: ${err && err.message}`);
  } finally {
    res.off('close', onClose);
  }
}

/**
 * A server instance shaped like the one @copilotkit/runtime 1.10.6 returns: callable as a Node
 * request listener `(req, res)` or as a Fetch handler `(request, ...ctx) → Response`, with the
 * same `handle`, `handleRequest`, `fetch` and `requestListener` members.
 */
function serverInstance(options) {
  const fetchHandler = (input, init) => {
    const request = input instanceof Request ? input : new Request(String(input instanceof URL ? input.href : input), init);
    return handleFetch(options, request);
  };
  const handle = function copilotRuntimeHandler(req, res) {
    if (looksLikeFetchRequest(req)) return handleFetch(options, req);
    return handleNode(options, req, res);
  };
  handle.handle = handle;
  handle.handleRequest = (request, res) => (looksLikeFetchRequest(request) ? handleFetch(options, request) : handleNode(options, request, res));
  handle.fetch = (input, init) => fetchHandler(input, init && typeof init === 'object' && !('socket' in init) ? init : undefined);
  handle.requestListener = (req, res) => handleNode(options, req, res);
  return handle;
}

function copilotRuntimeNodeHttpEndpoint(options) {
  return serverInstance(options);
}

function copilotRuntimeNodeExpressEndpoint(options) {
  return serverInstance(options);
}

function copilotRuntimeNestEndpoint(options) {
  return serverInstance(options);
}

function copilotRuntimeNextJSPagesRouterEndpoint(options) {
  return serverInstance(options);
}

function copilotRuntimeNextJSAppRouterEndpoint(options) {
  const handleRequest = serverInstance(options);
  return { handleRequest, GET: handleRequest, POST: handleRequest, OPTIONS: handleRequest };
}

module.exports = {
  copilotRuntimeNodeHttpEndpoint,
  copilotRuntimeNodeExpressEndpoint,
  copilotRuntimeNestEndpoint,
  copilotRuntimeNextJSPagesRouterEndpoint,
  copilotRuntimeNextJSAppRouterEndpoint,
};
