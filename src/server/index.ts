/**
 * `tutti/server`: the REST API, Server-Sent Events, health/readiness probes, Prometheus metrics,
 * OpenAPI and the dashboard over an engine. Importing it starts nothing.
 */
export { createServer, DEFAULT_PORT, type ListenOptions, type TuttiServer } from './app.js';
export type { ServerOptions, ResolvedServerOptions } from './options.js';
export { isLoopbackHost } from './auth.js';
export { HttpError, toHttpError, statusOfCode, type ErrorBody, type FieldIssue, type HttpErrorCode } from './errors.js';
export { redactText, redactValue, REDACTED } from './redact.js';
export type { OrchestratorBackend, SeedSession, SeedSessionStatus, SeedLog, SeedAgent, SeedStats } from './seed/orchestrator-backend.js';
export { createEngineOrchestratorBackend } from './seed/orchestrator-backend.js';
