// CopilotRuntime and the service adapters. Each holds configuration only: requests are handled by
// the native runtime, which calls back into the user's functions through `lib/native.js`.
'use strict';

const { native, makeDispatch } = require('./native');

class GoogleGenerativeAIAdapter {
  constructor(options = {}) {
    this.options = { ...options };
    this.model = options.model ?? 'gemini-2.5-flash';
    this.provider = 'google';
  }

  /** @internal */
  _nativeConfig() {
    const o = this.options;
    return { kind: 'google', model: o.model, apiKey: o.apiKey, apiVersion: o.apiVersion, baseUrl: o.baseUrl };
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

class CopilotRuntime {
  constructor(params = {}) {
    this.params = params ?? {};
    this.onError = this.params.onError;
    this.middleware = this.params.middleware;
    /** @type {Map<string, any>} native runtimes, keyed by endpoint options */
    this._natives = new Map();
    this._adapterIds = new WeakMap();
  }

  /** @internal hooks Rust may call for this runtime */
  _hooks() {
    return {};
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
    const config = { ...endpointOptions, adapter };
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

module.exports = { CopilotRuntime, GoogleGenerativeAIAdapter, EmptyAdapter };
