/**
 * `tutti/sessions`: seed 001's sessions API (`Orchestrator`, `SessionStatus`, `SessionInfo`,
 * `SessionNotFoundError`, `InvalidOperationError`) over the engine. A session is a run of the
 * `dev-team` template. Importing this module opens nothing and starts nothing.
 */
export { Orchestrator } from './orchestrator.js';
export {
  SessionStatus,
  SessionNotFoundError,
  InvalidOperationError,
  SessionValidationError,
  SessionLimitError,
  type SessionInfo,
  type SessionArtifacts,
  type OrchestratorConfig,
  type ResolvedOrchestratorConfig,
  type RejectTarget,
  type LlmRolesConfig,
} from './types.js';
export { SESSION_TEMPLATE, isSession } from './info.js';
