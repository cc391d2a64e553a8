// Loads the native addon and builds the single dispatcher through which Rust calls user code.
'use strict';

let binding;
function native() {
  if (!binding) binding = require('../binding.js');
  return binding;
}

/**
 * Wrap a table of hooks `{ kind: async (payload) => result }` as the dispatcher Rust holds.
 * The dispatcher never throws and never rejects: a failing hook answers `{"error": message}`.
 */
function makeDispatch(hooks) {
  return async function dispatch(kind, payloadJson) {
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

module.exports = { native, makeDispatch };
