// Limits enforced at the server's edge, shared with the web UI so it can warn before sending.
export const Limits = {
  maxBodyBytes: 2 * 1024 * 1024,
  maxManifestBytes: 1024 * 1024,
  maxPoliciesPerSet: 500,
  maxPodsPerSandbox: 500,
  maxProbesPerRun: 20_000,
  maxTtlSeconds: 4 * 60 * 60,
  minTtlSeconds: 5,
  defaultTtlSeconds: 30 * 60,
  maxExtendSeconds: 60 * 60,
  maxTerminalInputBytes: 64 * 1024,
  /** Bytes buffered for one slow websocket before frames are dropped (events) or the client is cut (terminal). */
  maxWsBufferedBytes: 1024 * 1024,
  terminalHistoryBytes: 64 * 1024,
} as const;
