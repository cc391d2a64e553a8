// Loads the native addon and builds the single dispatcher through which Rust calls user code.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const PACKAGE_NAME = 'copilot-runtime-rs';

let binding;
function native() {
  if (!binding) {
    binding = loadBinding();
    if (typeof binding.setWaker === 'function') binding.setWaker(onWake);
  }
  return binding;
}

// ---------------------------------------------------------------------------------------------
// Waiting for a request's head or next body batch. `req.wait(id)` has Rust call `onWake(id)` once
// it is ready, through one callback registered per thread: cheaper than a promise per call of
// napi's own async methods. The waker does not keep the process alive by itself; a timer that is
// ref'd only while something waits does.

const waiters = new Map();
let lastWaitId = 0;
let keepAlive = null;

function onWake(id) {
  const resolve = waiters.get(id);
  if (resolve === undefined) return;
  waiters.delete(id);
  if (waiters.size === 0 && keepAlive) keepAlive.unref();
  resolve(true);
}

/** Resolves `true` once `req` has something ready, `false` if it cannot wait this way. */
function whenReady(req) {
  return new Promise((resolve) => {
    lastWaitId = (lastWaitId + 1) >>> 0;
    const id = lastWaitId;
    waiters.set(id, resolve);
    if (!req.wait(id)) {
      waiters.delete(id);
      resolve(false);
      return;
    }
    if (!keepAlive) keepAlive = setInterval(() => {}, 2 ** 31 - 1);
    if (waiters.size === 1) keepAlive.ref();
  });
}

/** The response head: at once when ready, else when Rust says so. */
async function headOf(req) {
  const head = req.tryHead();
  if (head) return head;
  if (await whenReady(req)) {
    const later = req.tryHead();
    if (later) return later;
  }
  return req.head();
}

/** The next body batch (`Buffer`), or `null` at the end. */
async function batchOf(req) {
  let batch = req.tryNextBatch();
  if (batch !== undefined) return batch;
  if (await whenReady(req)) {
    batch = req.tryNextBatch();
    if (batch !== undefined) return batch;
  }
  return req.nextBatch();
}

/**
 * Load `binding.js` (and through it the `.node` file) with Node's own `require`, made by
 * `createRequire` from a path computed at run time, so that a bundler never follows it: Next.js
 * (Turbopack and webpack) bundles server code, and a native addon cannot be bundled. When this file
 * runs from the package itself, `binding.js` is next to it; when a bundler copied this file into its
 * output, the package is found by name from the app's directory, under the name the app installed
 * it as (`@copilotkit/runtime`, or `copilot-runtime-rs`).
 */
function loadBinding() {
  const tried = [];
  for (const root of packageRoots()) {
    const file = path.join(root, 'binding.js');
    if (tried.includes(file)) continue;
    tried.push(file);
    if (isOurPackage(root) && fs.existsSync(file)) return createRequire(file)(file);
  }
  throw new Error(
    `${PACKAGE_NAME}: cannot find the native addon's loader (binding.js); looked in ${tried.join(', ') || 'no place'}`,
  );
}

/** Candidate package roots, nearest first; resolving by name (slower) only if the nearest is not it. */
function* packageRoots() {
  if (typeof __dirname === 'string' && path.isAbsolute(__dirname)) yield path.resolve(__dirname, '..');
  const from = createRequire(path.join(process.cwd(), 'noop.js'));
  for (const name of ['@copilotkit/runtime', PACKAGE_NAME]) {
    let root;
    try {
      root = path.dirname(from.resolve(`${name}/package.json`));
    } catch {
      continue; /* not installed under that name */
    }
    yield root;
  }
}

function isOurPackage(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * Wrap a table of hooks `{ kind: async (payload) => result }` as the dispatcher Rust holds.
 * The dispatcher never throws and never rejects: a failing hook answers `{"error": message}`.
 */
function makeDispatch(hooks) {
  return async function dispatch(kindOrArgs, maybePayload) {
    // napi delivers the (kind, payload) tuple as one array argument.
    const [kind, payloadJson] = Array.isArray(kindOrArgs) ? kindOrArgs : [kindOrArgs, maybePayload];
    try {
      const hook = hooks[kind];
      if (typeof hook !== 'function') return JSON.stringify({ error: `no handler for '${kind}'` });
      const payload = payloadJson ? JSON.parse(payloadJson) : null;
      const result = await hook(payload);
      return JSON.stringify({ ok: result === undefined ? null : result });
    } catch (err) {
      let message;
      try {
        message = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
      } catch {
        message = String(err);
      }
      return JSON.stringify({ error: message || 'callback failed' });
    }
  };
}

module.exports = { native, makeDispatch, headOf, batchOf };
