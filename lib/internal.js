// copilot-runtime-rs — runtime data types that @copilotkit/runtime 1.10.6 uses internally but does
// NOT export from its root entry point: the message classes handed to middleware and service
// adapters, and the enums behind endpoint and message fields. They live here (and not in
// lib/surface.js, whose exports index.js re-exports) so that the package's exports stay those of
// 1.10.6; the runtime requires this module directly.
'use strict';

/** A fresh `ck-…` id. `node:crypto` is loaded on first use: it costs ≈ 3 ms at require time. */
function newId() {
  return `ck-${require('node:crypto').randomUUID()}`;
}

/** Kinds of remote endpoint (the `type` field of an endpoint definition). */
const EndpointType = Object.freeze({
  CopilotKit: 'copilotKit',
  LangGraphPlatform: 'langgraph-platform',
});

/** Roles of text, image and agent-state messages. */
const MessageRole = Object.freeze({
  user: 'user',
  assistant: 'assistant',
  system: 'system',
  tool: 'tool',
  developer: 'developer',
});

/** Availability of a client-declared action. */
const ActionInputAvailability = Object.freeze({
  disabled: 'disabled',
  enabled: 'enabled',
  remote: 'remote',
});

// Every message has `id` and `createdAt`, then `type`, then the fields of its kind, as own
// enumerable properties in that order (so JSON.stringify and object spreads of a message look as
// in 1.10.6). `new X()` with no argument gives a message with those fields undefined, as 1.10.6's
// classes do; `new X(props)` copies `props` onto it, and fills in a fresh `ck-` id and the current
// time when `props` gives no `id` / `createdAt`.
function init(message, props) {
  if (props === undefined) return message;
  Object.assign(message, props);
  if (message.id === undefined) message.id = newId();
  if (message.createdAt === undefined) message.createdAt = new Date();
  return message;
}

class Message {
  id = undefined;
  createdAt = undefined;

  isTextMessage() {
    return this.type === 'TextMessage';
  }

  isActionExecutionMessage() {
    return this.type === 'ActionExecutionMessage';
  }

  isResultMessage() {
    return this.type === 'ResultMessage';
  }

  isAgentStateMessage() {
    return this.type === 'AgentStateMessage';
  }

  isImageMessage() {
    return this.type === 'ImageMessage';
  }
}

class TextMessage extends Message {
  type = 'TextMessage';
  content = undefined;
  role = undefined;
  parentMessageId = undefined;

  constructor(props) {
    super();
    init(this, props);
  }
}

class ActionExecutionMessage extends Message {
  type = 'ActionExecutionMessage';
  name = undefined;
  /** The call's arguments, parsed (an object, not a JSON string). */
  arguments = undefined;
  parentMessageId = undefined;

  constructor(props) {
    super();
    init(this, props);
  }
}

function toErrorObject(error) {
  if (!error) return undefined;
  if (typeof error === 'string') return { code: 'ERROR', message: error };
  if (error instanceof Error) return { code: 'ERROR', message: error.message };
  return error;
}

class ResultMessage extends Message {
  type = 'ResultMessage';
  actionExecutionId = undefined;
  actionName = undefined;
  /** The action's result as a string (see `encodeResult`). */
  result = undefined;

  constructor(props) {
    super();
    init(this, props);
  }

  /**
   * The string form of an action result: a string stays as it is, `undefined` becomes `""`, any
   * other value becomes its JSON. With an error, `{"error":{code,message},"result":...}`.
   */
  static encodeResult(result, error) {
    const errorObject = toErrorObject(error);
    if (errorObject) return JSON.stringify({ error: errorObject, result: result || '' });
    if (result === undefined) return '';
    return typeof result === 'string' ? result : JSON.stringify(result);
  }

  /** The inverse of `encodeResult`: `{ result }`, plus `error` when the result encodes one. */
  static decodeResult(result) {
    if (!result) return { result: '' };
    let parsed;
    try {
      parsed = JSON.parse(result);
    } catch {
      return { result };
    }
    if (parsed && typeof parsed === 'object') {
      if ('error' in parsed) return { error: parsed.error, result: parsed.result || '' };
      return { result: JSON.stringify(parsed) };
    }
    return { result };
  }

  hasError() {
    return !!this.getError();
  }

  getError() {
    try {
      return ResultMessage.decodeResult(this.result).error;
    } catch {
      return undefined;
    }
  }
}

class AgentStateMessage extends Message {
  type = 'AgentStateMessage';
  threadId = undefined;
  agentName = undefined;
  nodeName = undefined;
  runId = undefined;
  active = undefined;
  role = undefined;
  /** The agent's state, parsed. */
  state = undefined;
  running = undefined;

  constructor(props) {
    super();
    init(this, props);
  }
}

class ImageMessage extends Message {
  type = 'ImageMessage';
  format = undefined;
  /** Base64-encoded image data. */
  bytes = undefined;
  role = undefined;
  parentMessageId = undefined;

  constructor(props) {
    super();
    init(this, props);
  }
}

module.exports = {
  EndpointType,
  MessageRole,
  ActionInputAvailability,
  Message,
  TextMessage,
  ActionExecutionMessage,
  ResultMessage,
  AgentStateMessage,
  ImageMessage,
  newId,
};
