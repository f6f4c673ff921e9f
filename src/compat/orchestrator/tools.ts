/**
 * Dynamic agent registration (seed 003, "Advanced Topics"): tools found on the PATH become agents.
 * Detection is a PATH lookup (no process is spawned); the lookup is injectable for tests.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AgentDefinition } from './types.js';

/** Tools the orchestrator looks for, with the agent each one brings. */
export interface ToolAgentSpec {
  /** Executable name looked up on the PATH. */
  tool: string;
  agent: AgentDefinition;
}

const specialist = (id: string, name: string, capability: string, domains: string[], tool: string, description: string, extra: Partial<AgentDefinition> = {}): ToolAgentSpec => ({
  tool,
  agent: { id, name, type: 'specialist', description, capabilities: [{ name: capability, description, domains, tools: [tool] }], priority: 5, maxLoad: 2, metadata: { detectedTool: tool }, ...extra },
});

/** The tools of the seed's example (docker) and the ones tutti drives (git, gh, the coding-agent CLIs). */
export const KNOWN_TOOLS: readonly ToolAgentSpec[] = [
  specialist('container-specialist', 'Container Specialist', 'container_management', ['devops', 'containers'], 'docker', 'Builds and runs containers'),
  specialist('git-specialist', 'Git Specialist', 'version_control', ['code', 'git'], 'git', 'Branches, commits and merges'),
  specialist('github-specialist', 'GitHub Specialist', 'github_operations', ['code', 'github'], 'gh', 'Pull requests, issues and releases'),
  specialist('claude-code-agent', 'Claude Code', 'code_generation', ['code'], 'claude', 'Coding agent CLI (Claude Code)', { type: 'coder' }),
  specialist('codex-agent', 'Codex CLI', 'code_generation', ['code'], 'codex', 'Coding agent CLI (Codex)', { type: 'coder' }),
  specialist('gemini-agent', 'Gemini CLI', 'code_generation', ['code'], 'gemini', 'Coding agent CLI (Gemini)', { type: 'coder' }),
  specialist('cursor-agent', 'Cursor Agent', 'code_generation', ['code'], 'cursor-agent', 'Coding agent CLI (Cursor)', { type: 'coder' }),
];

/** Whether an executable is on the PATH. */
export type ToolLookup = (tool: string) => boolean;

/**
 * A PATH lookup over the given PATH value (the caller reads the environment; the library does not):
 * a tool is found when an executable file of that name is in one of the directories.
 * @param path the PATH string, entries separated by the platform delimiter.
 * @param extensions suffixes tried. @default `['.exe', '.cmd', '.bat', '']` on Windows, else `['']`
 */
export function pathLookup(path: string, extensions: readonly string[] = process.platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : ['']): ToolLookup {
  const dirs = path.split(delimiter).filter(Boolean);
  return (tool) => {
    for (const dir of dirs) {
      for (const ext of extensions) {
        try {
          accessSync(join(dir, tool + ext), constants.X_OK);
          return true;
        } catch {
          // not here
        }
      }
    }
    return false;
  };
}

/**
 * Names of the known tools found (seed 003's `detectInstalledTools()`).
 * @param lookup where to look, e.g. `pathLookup(process.env.PATH ?? '')` (the library reads no environment itself).
 */
export function detectInstalledTools(lookup: ToolLookup, tools: readonly ToolAgentSpec[] = KNOWN_TOOLS): string[] {
  return tools.filter((t) => lookup(t.tool)).map((t) => t.tool);
}

/** The agent definitions for the tools found. */
export function agentsForTools(found: readonly string[], tools: readonly ToolAgentSpec[] = KNOWN_TOOLS): AgentDefinition[] {
  const set = new Set(found);
  return tools.filter((t) => set.has(t.tool)).map((t) => structuredClone(t.agent));
}
