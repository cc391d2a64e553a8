// copilot-runtime-rs — public TypeScript surface.
//
// This mirrors the root entry point of `@copilotkit/runtime` 1.10.6 for the part of it that this
// package implements: the same export names, the same signatures, the same generic parameters, so
// that an app written against 1.10.6 compiles unchanged. Unlike 1.10.6 it depends on no other
// package at the type level (no graphql-yoga, pino, rxjs, class-validator, @ag-ui/client,
// @copilotkit/shared): the types that 1.10.6 imports from those packages are reproduced here as
// structural types that accept the same values.
//
// Only `@types/node` is needed (for the Node request/response types and the global Fetch types).
//
// Declarations without `export` below are types that the 1.10.6 root entry point does not export
// either (messages, endpoint definitions, actions, ...): they are reachable through the exported
// signatures, but cannot be imported by name, exactly as with 1.10.6.

/// <reference types="node" />

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Socket } from "node:net";

// ---------------------------------------------------------------------------------------------
// Actions and parameters (the shapes of `@copilotkit/shared` 1.10.6)
// ---------------------------------------------------------------------------------------------

/** The TypeScript type that each parameter `type` stands for. */
type ParameterTypeMap = {
  string: string;
  number: number;
  boolean: boolean;
  object: object;
  "string[]": string[];
  "number[]": number[];
  "boolean[]": boolean[];
  "object[]": object[];
};

type AbstractParameter = {
  name: string;
  type?: keyof ParameterTypeMap;
  description?: string;
  /** Whether the model must provide this argument. Defaults to `true`. */
  required?: boolean;
};

interface StringParameter extends AbstractParameter {
  type: "string";
  /** The only values the model may choose from. */
  enum?: string[];
}

interface ObjectParameter extends AbstractParameter {
  type: "object";
  attributes?: Parameter[];
}

interface ObjectArrayParameter extends AbstractParameter {
  type: "object[]";
  attributes?: Parameter[];
}

type SpecialParameters = StringParameter | ObjectParameter | ObjectArrayParameter;

interface BaseParameter extends AbstractParameter {
  type?: Exclude<AbstractParameter["type"], SpecialParameters["type"]>;
}

/** One argument of an action, described for the model. */
type Parameter = BaseParameter | SpecialParameters;

type OptionalParameterType<P extends AbstractParameter> = P["required"] extends false ? undefined : never;

type StringParameterType<P> = P extends StringParameter
  ? P extends { enum?: Array<infer E> }
    ? E
    : string
  : never;

type ObjectParameterType<P> = P extends ObjectParameter
  ? P extends { attributes?: infer Attributes extends Parameter[] }
    ? MappedParameterTypes<Attributes>
    : object
  : never;

type ObjectArrayParameterType<P> = P extends ObjectArrayParameter
  ? P extends { attributes?: infer Attributes extends Parameter[] }
    ? MappedParameterTypes<Attributes>[]
    : any[]
  : never;

type MappedTypeOrString<T> = T extends keyof ParameterTypeMap ? ParameterTypeMap[T] : string;

type BaseParameterType<P extends AbstractParameter> = P extends { type: infer T }
  ? T extends BaseParameter["type"]
    ? MappedTypeOrString<T>
    : never
  : string;

/** The type of the arguments object that an action handler receives for parameters `T`. */
type MappedParameterTypes<T extends Parameter[] | [] = []> = T extends []
  ? Record<string, any>
  : {
      [P in T[number] as P["name"]]:
        | OptionalParameterType<P>
        | StringParameterType<P>
        | ObjectParameterType<P>
        | ObjectArrayParameterType<P>
        | BaseParameterType<P>;
    };

/** A server-side action (tool) that the model can call. */
type Action<T extends Parameter[] | [] = []> = {
  name: string;
  description?: string;
  parameters?: T;
  handler?: T extends [] ? () => any | Promise<any> : (args: MappedParameterTypes<T>) => any | Promise<any>;
  /** For example `{ returnDirect: true }`. */
  additionalConfig?: Record<string, any>;
};

// ---------------------------------------------------------------------------------------------
// Error events (`@copilotkit/shared` 1.10.6)
// ---------------------------------------------------------------------------------------------

interface CopilotRequestContext {
  threadId?: string;
  runId?: string;
  source: "runtime" | "ui" | "agent" | "network";
  request?: {
    operation: string;
    method?: string;
    url?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: any;
    startTime: number;
  };
  response?: {
    status?: number;
    statusText?: string;
    headers?: Record<string, string>;
    body?: any;
    endTime: number;
    latency: number;
  };
  agent?: {
    name?: string;
    nodeName?: string;
    state?: any;
  };
  messages?: {
    input?: any[];
    output?: any[];
    messageCount?: number;
  };
  technical?: {
    userAgent?: string;
    host?: string;
    environment?: string;
    version?: string;
    stackTrace?: string;
  };
  performance?: {
    requestDuration?: number;
    streamingDuration?: number;
    actionExecutionTime?: number;
    memoryUsage?: number;
  };
  metadata?: Record<string, any>;
}

/** A structured event passed to `onError`. */
interface CopilotErrorEvent {
  type: "error" | "request" | "response" | "agent_state" | "action" | "message" | "performance";
  timestamp: number;
  context: CopilotRequestContext;
  error?: any;
}

type CopilotErrorHandler = (errorEvent: CopilotErrorEvent) => void | Promise<void>;

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

declare enum MessageRole {
  user = "user",
  assistant = "assistant",
  system = "system",
  tool = "tool",
  developer = "developer",
}

declare enum ActionInputAvailability {
  disabled = "disabled",
  enabled = "enabled",
  remote = "remote",
}

declare class BaseMessageInput {
  id: string;
  createdAt: Date;
}

declare class TextMessageInput {
  content: string;
  parentMessageId?: string;
  role: MessageRole;
}

declare class ActionExecutionMessageInput {
  name: string;
  arguments: string;
  parentMessageId?: string;
  scope?: String;
}

declare class ResultMessageInput {
  actionExecutionId: string;
  actionName: string;
  parentMessageId?: string;
  result: string;
}

declare class AgentStateMessageInput {
  threadId: string;
  agentName: string;
  role: MessageRole;
  state: string;
  running: boolean;
  nodeName: string;
  runId: string;
  active: boolean;
}

declare class ImageMessageInput {
  format: string;
  bytes: string;
  parentMessageId?: string;
  role: MessageRole;
}

/** A message as the client sent it: exactly one of the `*Message` fields is set. */
declare class MessageInput extends BaseMessageInput {
  textMessage?: TextMessageInput;
  actionExecutionMessage?: ActionExecutionMessageInput;
  resultMessage?: ResultMessageInput;
  agentStateMessage?: AgentStateMessageInput;
  imageMessage?: ImageMessageInput;
}

type MessageType = "TextMessage" | "ActionExecutionMessage" | "ResultMessage" | "AgentStateMessage" | "ImageMessage";

/** A message of the conversation, as passed to middleware and service adapters. */
declare class Message extends BaseMessageInput {
  type: MessageType;
  isTextMessage(): this is TextMessage;
  isActionExecutionMessage(): this is ActionExecutionMessage;
  isResultMessage(): this is ResultMessage;
  isAgentStateMessage(): this is AgentStateMessage;
  isImageMessage(): this is ImageMessage;
}

declare class TextMessage extends Message implements TextMessageInput {
  type: MessageType;
  content: string;
  role: MessageRole;
  parentMessageId?: string;
}

declare class ActionExecutionMessage extends Message implements Omit<ActionExecutionMessageInput, "arguments" | "scope"> {
  type: MessageType;
  name: string;
  arguments: Record<string, any>;
  parentMessageId?: string;
}

declare class ResultMessage extends Message implements ResultMessageInput {
  type: MessageType;
  actionExecutionId: string;
  actionName: string;
  result: string;
  static encodeResult(result: any, error?: { code: string; message: string } | string | Error): string;
  static decodeResult(result: string): { error?: { code: string; message: string }; result: string };
  hasError(): boolean;
  getError(): { code: string; message: string } | undefined;
}

declare class AgentStateMessage extends Message implements Omit<AgentStateMessageInput, "state"> {
  type: MessageType;
  threadId: string;
  agentName: string;
  nodeName: string;
  runId: string;
  active: boolean;
  role: MessageRole;
  state: any;
  running: boolean;
}

declare class ImageMessage extends Message implements ImageMessageInput {
  type: MessageType;
  format: string;
  bytes: string;
  role: MessageRole;
  parentMessageId?: string;
}

// ---------------------------------------------------------------------------------------------
// Request inputs shared by the runtime and the service adapters
// ---------------------------------------------------------------------------------------------

/** An action as the client declared it (its parameters as a JSON Schema string). */
declare class ActionInput {
  name: string;
  description: string;
  jsonSchema: string;
  available?: ActionInputAvailability;
}

declare class ForwardedParametersInput {
  model?: string;
  maxTokens?: number;
  stop?: string[];
  toolChoice?: String;
  toolChoiceFunctionName?: string;
  temperature?: number;
}

declare class OpenAIApiAssistantAPIInput {
  runId?: string;
  threadId?: string;
}

/** Additional information for a specific service adapter or agent framework. */
declare class ExtensionsInput {
  openaiAssistantAPI?: OpenAIApiAssistantAPIInput;
}

declare class OpenAIApiAssistantAPIResponse {
  runId?: string;
  threadId?: string;
}

/** Additional information returned by a service adapter; sent back by the client next time. */
declare class ExtensionsResponse {
  openaiAssistantAPI?: OpenAIApiAssistantAPIResponse;
}

declare class AgentSessionInput {
  agentName: string;
  threadId?: string;
  nodeName?: string;
}

declare class AgentStateInput {
  agentName: string;
  state: string;
  config?: string;
}

declare enum MetaEventName {
  LangGraphInterruptEvent = "LangGraphInterruptEvent",
  CopilotKitLangGraphInterruptEvent = "CopilotKitLangGraphInterruptEvent",
}

declare class MetaEventInput {
  name: MetaEventName;
  value?: string;
  response?: string;
  messages?: MessageInput[];
}

declare class CopilotContextInput {
  description: string;
  value: string;
}

// ---------------------------------------------------------------------------------------------
// Runtime events (what a service adapter streams back)
// ---------------------------------------------------------------------------------------------

declare enum RuntimeEventTypes {
  TextMessageStart = "TextMessageStart",
  TextMessageContent = "TextMessageContent",
  TextMessageEnd = "TextMessageEnd",
  ActionExecutionStart = "ActionExecutionStart",
  ActionExecutionArgs = "ActionExecutionArgs",
  ActionExecutionEnd = "ActionExecutionEnd",
  ActionExecutionResult = "ActionExecutionResult",
  AgentStateMessage = "AgentStateMessage",
  MetaEvent = "MetaEvent",
  RunError = "RunError",
}

declare enum RuntimeMetaEventName {
  LangGraphInterruptEvent = "LangGraphInterruptEvent",
  LangGraphInterruptResumeEvent = "LangGraphInterruptResumeEvent",
  CopilotKitLangGraphInterruptEvent = "CopilotKitLangGraphInterruptEvent",
}

type RuntimeMetaEvent =
  | { type: RuntimeEventTypes.MetaEvent; name: RuntimeMetaEventName.LangGraphInterruptEvent; value: string }
  | {
      type: RuntimeEventTypes.MetaEvent;
      name: RuntimeMetaEventName.CopilotKitLangGraphInterruptEvent;
      data: { value: string; messages: (TextMessage | ActionExecutionMessage | ResultMessage)[] };
    }
  | { type: RuntimeEventTypes.MetaEvent; name: RuntimeMetaEventName.LangGraphInterruptResumeEvent; data: string };

type RuntimeErrorEvent = { type: RuntimeEventTypes.RunError; message: string; code?: string };

type RuntimeEvent =
  | { type: RuntimeEventTypes.TextMessageStart; messageId: string; parentMessageId?: string }
  | { type: RuntimeEventTypes.TextMessageContent; messageId: string; content: string }
  | { type: RuntimeEventTypes.TextMessageEnd; messageId: string }
  | { type: RuntimeEventTypes.ActionExecutionStart; actionExecutionId: string; actionName: string; parentMessageId?: string }
  | { type: RuntimeEventTypes.ActionExecutionArgs; actionExecutionId: string; args: string }
  | { type: RuntimeEventTypes.ActionExecutionEnd; actionExecutionId: string }
  | { type: RuntimeEventTypes.ActionExecutionResult; actionName: string; actionExecutionId: string; result: string }
  | {
      type: RuntimeEventTypes.AgentStateMessage;
      threadId: string;
      agentName: string;
      nodeName: string;
      runId: string;
      active: boolean;
      role: string;
      state: string;
      running: boolean;
    }
  | RuntimeMetaEvent
  | RuntimeErrorEvent;

/**
 * The stream a service adapter writes its answer to (an rxjs `ReplaySubject<RuntimeEvent>` in
 * 1.10.6; here the part of it that adapters use).
 */
interface RuntimeEventSubject {
  next(event: RuntimeEvent): void;
  error(err: any): void;
  complete(): void;
  sendTextMessageStart(event: { messageId: string; parentMessageId?: string }): void;
  sendTextMessageContent(event: { messageId: string; content: string }): void;
  sendTextMessageEnd(event: { messageId: string }): void;
  sendTextMessage(messageId: string, content: string): void;
  sendActionExecutionStart(event: { actionExecutionId: string; actionName: string; parentMessageId?: string }): void;
  sendActionExecutionArgs(event: { actionExecutionId: string; args: string }): void;
  sendActionExecutionEnd(event: { actionExecutionId: string }): void;
  sendActionExecution(event: { actionExecutionId: string; actionName: string; args: string; parentMessageId?: string }): void;
  sendActionExecutionResult(event: {
    actionExecutionId: string;
    actionName: string;
    result?: string;
    error?: { code: string; message: string };
  }): void;
  sendAgentStateMessage(event: {
    threadId: string;
    agentName: string;
    nodeName: string;
    runId: string;
    active: boolean;
    role: string;
    state: string;
    running: boolean;
  }): void;
}

type EventSourceCallback = (eventStream$: RuntimeEventSubject) => Promise<void>;

/** Handed to a service adapter in `process()`; the adapter calls `stream()` once. */
interface RuntimeEventSource {
  stream(callback: EventSourceCallback): Promise<void>;
  sendErrorMessageToChat(message?: string): void;
}

// ---------------------------------------------------------------------------------------------
// Service adapters
// ---------------------------------------------------------------------------------------------

/** What the runtime hands to `CopilotServiceAdapter.process()`. */
export interface CopilotRuntimeChatCompletionRequest {
  eventSource: RuntimeEventSource;
  messages: Message[];
  actions: ActionInput[];
  model?: string;
  threadId?: string;
  runId?: string;
  forwardedParameters?: ForwardedParametersInput;
  extensions?: ExtensionsInput;
  agentSession?: AgentSessionInput;
  agentStates?: AgentStateInput[];
}

export interface CopilotRuntimeChatCompletionResponse {
  threadId: string;
  runId?: string;
  extensions?: ExtensionsResponse;
}

/** The contract of every LLM service adapter. */
export interface CopilotServiceAdapter {
  process(request: CopilotRuntimeChatCompletionRequest): Promise<CopilotRuntimeChatCompletionResponse>;
}

interface GoogleGenerativeAIAdapterOptions {
  /**
   * The Gemini model to use. Defaults to `"gemini-2.5-flash"` (1.10.6 defaulted to
   * `"gemini-1.5-pro"`, which Google has since retired).
   */
  model?: string;
  /**
   * The API key to use. Defaults to `process.env.GOOGLE_API_KEY`.
   */
  apiKey?: string;
  /**
   * The Gemini API version path segment. Defaults to `"v1beta"`, the only version
   * `@copilotkit/runtime` 1.10.6 uses.
   *
   * This option is an addition of copilot-runtime-rs; `@copilotkit/runtime` 1.10.6 has no such option.
   */
  apiVersion?: string;
  /**
   * Base URL of the Gemini API, without the version segment. Defaults to
   * `process.env.GOOGLE_GEMINI_BASE_URL`, then `"https://generativelanguage.googleapis.com"`.
   * Point it at a proxy, a gateway or a local test server; requests go to
   * `{baseUrl}/{apiVersion}/models/{model}:streamGenerateContent`.
   *
   * This option is an addition of copilot-runtime-rs; `@copilotkit/runtime` 1.10.6 has no such option.
   */
  baseUrl?: string;
  /**
   * copilot-runtime-rs: retries of a failed Gemini call (429, 5xx, network errors) before the first
   * byte reached the client, with backoff and jitter that honours Gemini's `retryDelay`. Default 2.
   */
  maxRetries?: number;
  /** copilot-runtime-rs: milliseconds to wait for Gemini's first event. Default 60000. */
  firstByteTimeoutMs?: number;
  /** copilot-runtime-rs: longest silence between two Gemini events, in milliseconds. Default 60000. */
  idleTimeoutMs?: number;
}

/**
 * Copilot Runtime adapter for Google Gemini (the Generative Language API, authenticated with an API key).
 *
 * ```ts
 * import { CopilotRuntime, GoogleGenerativeAIAdapter } from "@copilotkit/runtime";
 *
 * const copilotKit = new CopilotRuntime();
 * const serviceAdapter = new GoogleGenerativeAIAdapter({ model: "gemini-2.0-flash" });
 * ```
 */
export declare class GoogleGenerativeAIAdapter implements CopilotServiceAdapter {
  constructor(options?: GoogleGenerativeAIAdapterOptions);
  process(request: CopilotRuntimeChatCompletionRequest): Promise<CopilotRuntimeChatCompletionResponse>;
}

/**
 * An adapter that talks to no LLM: for apps whose only back end is an agent (agent-lock mode).
 * Suggestions and other LLM-backed features do not work with it.
 */
export declare class EmptyAdapter implements CopilotServiceAdapter {
  process(request: CopilotRuntimeChatCompletionRequest): Promise<CopilotRuntimeChatCompletionResponse>;
}

// ---------------------------------------------------------------------------------------------
// Remote endpoints
// ---------------------------------------------------------------------------------------------

declare enum EndpointType {
  CopilotKit = "copilotKit",
  LangGraphPlatform = "langgraph-platform",
}

interface BaseEndpointDefinition<TActionType extends EndpointType> {
  type?: TActionType;
}

/** A remote CopilotKit endpoint (for example a Python SDK `add_fastapi_endpoint`). */
interface CopilotKitEndpoint extends BaseEndpointDefinition<EndpointType.CopilotKit> {
  url: string;
  /** Extra headers for the calls to this endpoint, computed per request. */
  onBeforeRequest?: ({ ctx }: { ctx: GraphQLContext }) => { headers?: Record<string, string> | undefined };
}

interface LangGraphPlatformAgent {
  name: string;
  description: string;
  assistantId?: string;
}

interface LangGraphPlatformEndpoint extends BaseEndpointDefinition<EndpointType.LangGraphPlatform> {
  deploymentUrl: string;
  langsmithApiKey?: string | null;
  agents: LangGraphPlatformAgent[];
}

type EndpointDefinition = CopilotKitEndpoint | LangGraphPlatformEndpoint;

/** Marks `config` as a CopilotKit remote endpoint: returns `{ ...config, type: "copilotKit" }`. */
export declare function copilotKitEndpoint(config: Omit<CopilotKitEndpoint, "type">): CopilotKitEndpoint;

/**
 * Marks `config` as a LangGraph Platform endpoint: returns `{ ...config, type: "langgraph-platform" }`.
 * (The `CopilotRuntime` constructor rejects such endpoints: use `agents` instead.)
 */
export declare function langGraphPlatformEndpoint(config: Omit<LangGraphPlatformEndpoint, "type">): LangGraphPlatformEndpoint;

/**
 * The endpoint's `type`, or, when it has none, `"langgraph-platform"` for an object with both
 * `deploymentUrl` and `agents` and `"copilotKit"` for anything else.
 */
export declare function resolveEndpointType(endpoint: EndpointDefinition): EndpointType;

/** Keeps the first action of each name, in order. */
export declare function flattenToolCallsNoDuplicates(toolsByPriority: ActionInput[]): ActionInput[];

// ---------------------------------------------------------------------------------------------
// Agents (AG-UI)
// ---------------------------------------------------------------------------------------------

/**
 * The part of an AG-UI agent (`AbstractAgent` of `@ag-ui/client`) that the runtime relies on.
 * Any `@ag-ui/client` agent — `HttpAgent`, `LangGraphAgent`, a custom subclass — fits.
 */
interface AbstractAgent {
  agentId?: string;
  description: string;
  threadId: string;
  messages: any[];
  state: any;
  runAgent(parameters?: any, subscriber?: any): Promise<unknown>;
}

declare class Agent {
  id: string;
  name: string;
  description?: string;
}

type AgentWithEndpoint = Agent & { endpoint: EndpointDefinition };

declare class LoadAgentStateResponse {
  threadId: string;
  threadExists: boolean;
  state: string;
  messages: string;
}

// ---------------------------------------------------------------------------------------------
// Observability, MCP, LangServe
// ---------------------------------------------------------------------------------------------

interface LLMRequestData {
  threadId?: string;
  runId?: string;
  model?: string;
  messages: any[];
  actions?: any[];
  forwardedParameters?: any;
  timestamp: number;
  provider?: string;
  [key: string]: any;
}

interface LLMResponseData {
  threadId: string;
  runId?: string;
  model?: string;
  output: any;
  latency: number;
  timestamp: number;
  provider?: string;
  isProgressiveChunk?: boolean;
  isFinalResponse?: boolean;
  [key: string]: any;
}

interface LLMErrorData {
  threadId?: string;
  runId?: string;
  model?: string;
  error: Error | string;
  timestamp: number;
  provider?: string;
  [key: string]: any;
}

interface CopilotObservabilityHooks {
  handleRequest: (data: LLMRequestData) => void | Promise<void>;
  handleResponse: (data: LLMResponseData) => void | Promise<void>;
  handleError: (data: LLMErrorData) => void | Promise<void>;
}

/**
 * Configuration for LLM request/response logging. Custom handlers are only called for requests
 * that carry a CopilotKit public API key.
 */
interface CopilotObservabilityConfig {
  /** @default false */
  enabled: boolean;
  /** Log each chunk as it streams (`true`) or whole responses once complete (`false`). @default true */
  progressive: boolean;
  hooks: CopilotObservabilityHooks;
}

/** A tool provided by an MCP server. */
export interface MCPTool {
  description?: string;
  /** Schema defining parameters, mirroring the MCP structure. */
  schema?: {
    parameters?: {
      properties?: Record<string, any>;
      required?: string[];
      jsonSchema?: Record<string, any>;
    };
  };
  /** Executes the tool on the MCP server. */
  execute(params: any): Promise<any>;
}

/** The contract of any MCP client implementation the app provides through `createMCPClient`. */
export interface MCPClient {
  /** The tools available from the connected MCP server, by name. */
  tools(): Promise<Record<string, MCPTool>>;
  /** Optional cleanup, for clients that need explicit disconnection. */
  close?(): Promise<void>;
}

/** Where an MCP server is. */
export interface MCPEndpointConfig {
  endpoint: string;
  apiKey?: string;
}

type CreateMCPClientFunction = (config: MCPEndpointConfig) => Promise<MCPClient>;

/** A LangServe chain exposed to the model as an action. */
export interface RemoteChainParameters {
  name: string;
  description: string;
  chainUrl: string;
  parameters?: Parameter[];
  parameterType?: "single" | "multi";
}

// ---------------------------------------------------------------------------------------------
// CopilotRuntime
// ---------------------------------------------------------------------------------------------

type ActionsConfiguration<T extends Parameter[] | [] = []> =
  | Action<T>[]
  | ((ctx: { properties: any; url?: string }) => Action<T>[]);

interface OnBeforeRequestOptions {
  threadId?: string;
  runId?: string;
  inputMessages: Message[];
  properties: any;
  url?: string;
}

type OnBeforeRequestHandler = (options: OnBeforeRequestOptions) => void | Promise<void>;

interface OnAfterRequestOptions {
  threadId: string;
  runId?: string;
  inputMessages: Message[];
  outputMessages: Message[];
  properties: any;
  url?: string;
}

type OnAfterRequestHandler = (options: OnAfterRequestOptions) => void | Promise<void>;

interface OnStopGenerationOptions {
  threadId: string;
  runId?: string;
  url?: string;
  agentName?: string;
  lastMessage: MessageInput;
}

type OnStopGenerationHandler = (options: OnStopGenerationOptions) => void | Promise<void>;

interface Middleware {
  /** Called before the request is processed. */
  onBeforeRequest?: OnBeforeRequestHandler;
  /** Called after the request is processed, with the messages the run produced. */
  onAfterRequest?: OnAfterRequestHandler;
}

export interface CopilotRuntimeConstructorParams<T extends Parameter[] | [] = []> {
  /** Hooks called before and after each chat request. */
  middleware?: Middleware;
  /**
   * Server-side actions, or a function of the request's `properties` and page `url` that returns them.
   */
  actions?: ActionsConfiguration<T>;
  /** @deprecated Use `remoteEndpoints`. */
  remoteActions?: CopilotKitEndpoint[];
  /** Remote endpoints whose actions and agents are made available. */
  remoteEndpoints?: EndpointDefinition[];
  /** LangServe chains, each made available as an action. */
  langserve?: RemoteChainParameters[];
  /** AG-UI agents by name. */
  agents?: Record<string, AbstractAgent>;
  /** Let the service adapter, not the agent, process agent state requests. */
  delegateAgentProcessingToServiceAdapter?: boolean;
  /** LLM request/response logging (requires a CopilotKit public API key on the request). */
  observability_c?: CopilotObservabilityConfig;
  /**
   * Model Context Protocol servers whose tools are made available as actions. Requires `createMCPClient`.
   * @experimental
   */
  mcpServers?: MCPEndpointConfig[];
  /** Creates the MCP client for one of `mcpServers`. Required if `mcpServers` is given. */
  createMCPClient?: CreateMCPClientFunction;
  /**
   * Error handler for debugging and observability. copilot-runtime-rs calls it for every upstream
   * failure, failing action handler and rejected request, with or without a CopilotKit public API
   * key. A throwing or rejecting handler never breaks the request.
   */
  onError?: CopilotErrorHandler;
  /** Called when the client stops a generation. */
  onStopGeneration?: OnStopGenerationHandler;
  /**
   * copilot-runtime-rs: model calls allowed in one AG-UI run of the built-in agent, so server-side
   * actions can be followed by an answer. Default 10.
   */
  maxSteps?: number;
  /** copilot-runtime-rs: bounds of the in-memory thread store that `agent/connect` replays from. */
  threadStore?: ThreadStoreOptions;
}

/** copilot-runtime-rs: bounds of the in-memory thread store (oldest idle threads are evicted first). */
interface ThreadStoreOptions {
  /** Default 1000. */
  maxThreads?: number;
  /** Default 100. */
  maxRunsPerThread?: number;
  /** Total bytes of stored events. Default 64 MiB. */
  maxBytes?: number;
}

/** copilot-runtime-rs: which browser origins may call the endpoint. Default: every origin (`*`). */
interface CopilotRuntimeCorsOptions {
  /** One origin, an allow-list, or a function deciding per request origin. */
  origin?: string | string[] | ((origin: string) => string | null | undefined | false | Promise<string | null | undefined | false>);
  /** Send `Access-Control-Allow-Credentials: true` (the allowed origin is then echoed, never `*`). */
  credentials?: boolean;
}

export interface CopilotRuntimeRequest {
  serviceAdapter: CopilotServiceAdapter;
  messages: MessageInput[];
  actions: ActionInput[];
  agentSession?: AgentSessionInput;
  agentStates?: AgentStateInput[];
  outputMessagesPromise: Promise<Message[]>;
  threadId?: string;
  runId?: string;
  publicApiKey?: string;
  graphqlContext: GraphQLContext;
  forwardedParameters?: ForwardedParametersInput;
  url?: string;
  extensions?: ExtensionsInput;
  metaEvents?: MetaEventInput[];
  context?: CopilotContextInput[];
}

interface CopilotRuntimeResponse {
  threadId: string;
  runId?: string;
  eventSource: RuntimeEventSource;
  serverSideActions: Action<any>[];
  actionInputsWithoutAgents: ActionInput[];
  extensions?: ExtensionsResponse;
}

/**
 * The back-end component of CopilotKit: holds the server-side actions, remote endpoints and
 * agents, and runs each chat request through a service adapter.
 *
 * ```ts
 * import { CopilotRuntime } from "@copilotkit/runtime";
 *
 * const copilotKit = new CopilotRuntime();
 * ```
 */
export declare class CopilotRuntime<const T extends Parameter[] | [] = []> {
  actions: ActionsConfiguration<T>;
  agents: Record<string, AbstractAgent>;
  remoteEndpointDefinitions: EndpointDefinition[];
  private langserve;
  private onBeforeRequest?;
  private onAfterRequest?;
  private onStopGeneration?;
  private delegateAgentProcessingToServiceAdapter;
  private observability?;
  private availableAgents;
  private onError?;
  private hasWarnedAboutError;
  private readonly mcpServersConfig?;
  private mcpActionCache;
  private readonly createMCPClientImpl?;
  /**
   * @throws if a `remoteEndpoints` entry is a LangGraph Platform endpoint, or if `mcpServers` is
   * given without `createMCPClient`.
   */
  constructor(params?: CopilotRuntimeConstructorParams<T>);
  processRuntimeRequest(request: CopilotRuntimeRequest): Promise<CopilotRuntimeResponse>;
  getAllAgents(graphqlContext: GraphQLContext): Promise<(AgentWithEndpoint | Agent)[]>;
  discoverAgentsFromEndpoints(graphqlContext: GraphQLContext): Promise<AgentWithEndpoint[]>;
  discoverAgentsFromAgui(): Agent[];
  loadAgentState(graphqlContext: GraphQLContext, threadId: string, agentName: string): Promise<LoadAgentStateResponse>;
  /** Reports a GraphQL validation error through the error handling (`onError`). */
  errorGraphQLError(
    error: { message: string; code: string; type: string },
    context: { operation: string; cloudConfigPresent: boolean; guardrailsEnabled: boolean },
  ): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// HTTP integration
// ---------------------------------------------------------------------------------------------

export type LogLevel = "debug" | "info" | "warn" | "error";

interface CopilotRuntimeLogFn {
  (obj: unknown, msg?: string, ...args: any[]): void;
  (msg: string, ...args: any[]): void;
}

/** The request-scoped logger (a pino logger in 1.10.6; here the part of it apps use). */
export interface CopilotRuntimeLogger {
  level: string;
  fatal: CopilotRuntimeLogFn;
  error: CopilotRuntimeLogFn;
  warn: CopilotRuntimeLogFn;
  info: CopilotRuntimeLogFn;
  debug: CopilotRuntimeLogFn;
  trace: CopilotRuntimeLogFn;
  child(bindings: Record<string, any>): CopilotRuntimeLogger;
}

interface CopilotCloudOptions {
  baseUrl?: string;
  publicApiKey?: string;
}

type AnyPrimitive = string | boolean | number | null;

/** Custom properties sent by the client (`<CopilotKit properties={...}>`) or set on the server. */
export type CopilotRequestContextProperties = Record<string, AnyPrimitive | Record<string, AnyPrimitive>>;

export interface CreateCopilotRuntimeServerOptions {
  runtime: CopilotRuntime<any>;
  serviceAdapter: CopilotServiceAdapter;
  /** The path the endpoint is mounted at, for example `"/api/copilotkit"`. */
  endpoint: string;
  baseUrl?: string;
  cloud?: CopilotCloudOptions;
  properties?: CopilotRequestContextProperties;
  logLevel?: LogLevel;
  /** copilot-runtime-rs: CORS answered by the endpoint (`false` leaves CORS to your framework). */
  cors?: boolean | CopilotRuntimeCorsOptions;
  /** copilot-runtime-rs: largest accepted request body in bytes (larger → 413). Default 10 MiB. */
  bodyLimit?: number;
  /** copilot-runtime-rs: most messages one chat request may carry (more → the protocol's 400 error). Default 10 000. */
  maxMessages?: number;
}

type WaitUntilFn = (promise: Promise<void> | void) => void;

interface ServerAdapterInitialContext {
  /** Keeps the process alive until `promise` settles, without delaying the response. */
  waitUntil: WaitUntilFn;
}

/** The GraphQL request parameters (query, variables, operation name, extensions). */
interface GraphQLParams<TVariables = Record<string, any>, TExtensions = Record<string, any>> {
  operationName?: string;
  query?: string;
  variables?: TVariables;
  extensions?: TExtensions;
}

interface YogaInitialContext extends ServerAdapterInitialContext {
  params: GraphQLParams;
  /** The HTTP request, as a Fetch API `Request`. */
  request: Request;
}

/** The per-request context that the runtime passes around (and to `onBeforeRequest` of remote endpoints). */
export type GraphQLContext = YogaInitialContext & {
  _copilotkit: CreateCopilotRuntimeServerOptions;
  properties: CopilotRequestContextProperties;
  logger: CopilotRuntimeLogger;
};

/** A Node request as the handlers accept it: `http.IncomingMessage`, Express/Nest/Next requests, ... */
interface NodeRequest {
  protocol?: string | undefined;
  hostname?: string | undefined;
  body?: any | undefined;
  url?: string | undefined;
  originalUrl?: string | undefined;
  method?: string | undefined;
  headers?: any | undefined;
  req?: IncomingMessage | Http2ServerRequest | undefined;
  raw?: IncomingMessage | Http2ServerRequest | undefined;
  socket?: Socket | undefined;
  query?: any | undefined;
  once?(event: string, listener: (...args: any[]) => void): void;
  aborted?: boolean | undefined;
}

type NodeResponse = ServerResponse | Http2ServerResponse;

type MaybePromise<T> = T | Promise<T>;

/**
 * A request handler, callable in the ways 1.10.6's (graphql-yoga) handlers are:
 * - as a Node request listener, `handler(req, res)`: answers on `res`; the promise settles when
 *   the response is finished. Extra arguments (such as Express's `next` when the handler is
 *   mounted with `app.use`) are ignored;
 * - with a Fetch API `Request`, `handler(request)`: returns the `Response`.
 */
interface CopilotRuntimeRequestHandler<TServerContext> {
  (req: NodeRequest, res: NodeResponse, ...ctx: Partial<TServerContext & ServerAdapterInitialContext>[]): Promise<void>;
  (request: Request, ...ctx: Partial<TServerContext & ServerAdapterInitialContext>[]): MaybePromise<Response>;
  (request: Request, ...ctx: Partial<TServerContext>[]): MaybePromise<Response>;
}

/**
 * What the endpoint factories return (a graphql-yoga server instance in 1.10.6): a function usable
 * as a Node request listener or as a Fetch handler, with the same entry points as methods.
 */
export type CopilotRuntimeServerInstance<T> = CopilotRuntimeRequestHandler<T> & {
  /** Same as calling the instance. */
  handle: CopilotRuntimeRequestHandler<T>;
  /** Answers a Fetch API `Request`. */
  handleRequest(request: Request, ctx?: T & Partial<ServerAdapterInitialContext>): MaybePromise<Response>;
  /** Answers a request given as a `Request`, a URL string or a `URL` (with optional `RequestInit`). */
  fetch(input: Request | string | URL, ...rest: any[]): MaybePromise<Response>;
  /** A plain Node request listener, for `http.createServer(instance.requestListener)`. */
  requestListener: (req: IncomingMessage, res: ServerResponse) => void;
};

/**
 * Creates the Copilot Runtime handler for a Next.js App Router route (`app/api/copilotkit/route.ts`).
 *
 * ```ts
 * export const POST = async (req: NextRequest) => {
 *   const { handleRequest } = copilotRuntimeNextJSAppRouterEndpoint({ runtime, serviceAdapter, endpoint: "/api/copilotkit" });
 *   return handleRequest(req);
 * };
 * ```
 */
export declare function copilotRuntimeNextJSAppRouterEndpoint(options: CreateCopilotRuntimeServerOptions): {
  handleRequest: CopilotRuntimeServerInstance<{}>;
  GET: any;
  POST: any;
  OPTIONS: any;
};

/** Next.js Pages Router API route config: the handler reads the raw body itself. */
export declare const config: {
  api: {
    bodyParser: boolean;
  };
};

/**
 * Creates the Copilot Runtime handler for a Next.js Pages Router API route (`pages/api/copilotkit.ts`),
 * called as `handleRequest(req, res)`.
 */
export declare function copilotRuntimeNextJSPagesRouterEndpoint(
  options: CreateCopilotRuntimeServerOptions,
): CopilotRuntimeServerInstance<GraphQLContext>;

/** Creates the Copilot Runtime handler for a Node HTTP server (also usable as Express middleware). */
export declare function copilotRuntimeNodeHttpEndpoint(
  options: CreateCopilotRuntimeServerOptions,
): CopilotRuntimeServerInstance<{}>;

/** Creates the Copilot Runtime handler for Express (`app.use("/copilotkit", handler)`). */
export declare function copilotRuntimeNodeExpressEndpoint(
  options: CreateCopilotRuntimeServerOptions,
): CopilotRuntimeServerInstance<{}>;

/** Creates the Copilot Runtime handler for a NestJS controller (`return handler(req, res)`). */
export declare function copilotRuntimeNestEndpoint(options: CreateCopilotRuntimeServerOptions): CopilotRuntimeServerInstance<{}>;

export {};
