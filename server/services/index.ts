// The services' public surface: what server/api and the composition root use.
export * from './disposable.ts';
export * from './event-bus.ts';
export * from './event-log.ts';
export * from './provider-registry.ts';
export * from './sandbox-service.ts';
export * from './run-service.ts';
export * from './scenario-catalog.ts';
export * from './service-error.ts';
export * from './terminal-backend.ts';
export * from './terminal-notices.ts';
export * from './ttl-manager.ts';
export * from './lint-yaml.ts';
export { renderPolicyYaml, renderPoliciesYaml } from '../policy/index.ts';
