/**
 * Seed 003's predefined capability catalogue and its four default agents (planner, researcher,
 * coder, reviewer). Capacities add up to 13, as in the seed's `/stats` example.
 */
import type { AgentCapability, AgentDefinition } from './types.js';

/** Capability name → description and domains, by the seed's categories. */
export const CAPABILITY_CATALOGUE: Readonly<Record<string, Required<Pick<AgentCapability, 'description' | 'domains'>> & { category: string }>> = {
  task_decomposition: { category: 'planning', description: 'Break down complex goals into actionable subtasks', domains: ['planning', 'strategy'] },
  dependency_analysis: { category: 'planning', description: 'Find the order steps must run in', domains: ['planning'] },
  workflow_design: { category: 'planning', description: 'Design multi-step workflows', domains: ['planning', 'process'] },
  web_research: { category: 'research', description: 'Search and read sources on the web', domains: ['research'] },
  document_analysis: { category: 'research', description: 'Read and extract facts from documents', domains: ['research', 'documents'] },
  data_synthesis: { category: 'research', description: 'Combine findings into a summary', domains: ['research', 'analysis'] },
  code_generation: { category: 'coding', description: 'Write code from a specification', domains: ['code'] },
  code_review: { category: 'coding', description: 'Review code for defects and style', domains: ['code', 'quality'] },
  code_refactoring: { category: 'coding', description: 'Restructure code without changing behaviour', domains: ['code'] },
  testing: { category: 'coding', description: 'Write and run tests', domains: ['code', 'quality'] },
  email_management: { category: 'communication', description: 'Draft and sort email', domains: ['communication'] },
  document_creation: { category: 'communication', description: 'Write documents, posts and reports', domains: ['communication', 'writing'] },
  presentation: { category: 'communication', description: 'Build presentations', domains: ['communication'] },
  api_integration: { category: 'integration', description: 'Call and connect external APIs', domains: ['integration'] },
  database_operations: { category: 'integration', description: 'Query and change databases', domains: ['integration', 'data'] },
  file_operations: { category: 'integration', description: 'Read and write files', domains: ['integration', 'files'] },
  data_analysis: { category: 'analysis', description: 'Analyse data sets', domains: ['analysis', 'data'] },
  pattern_recognition: { category: 'analysis', description: 'Spot patterns and anomalies', domains: ['analysis'] },
  error_diagnosis: { category: 'analysis', description: 'Find the cause of failures', domains: ['analysis', 'debugging'] },
};

const cap = (name: string): AgentCapability => ({ name, description: CAPABILITY_CATALOGUE[name]?.description ?? '', domains: CAPABILITY_CATALOGUE[name]?.domains ?? [] });

/** The agents `initialize()` registers (ids as in the seed's `/agents` example). */
export const DEFAULT_AGENTS: readonly AgentDefinition[] = [
  {
    id: 'planner-001',
    name: 'Planning Agent',
    type: 'planner',
    description: 'Turns goals into plans of steps',
    capabilities: ['task_decomposition', 'dependency_analysis', 'workflow_design'].map(cap),
    priority: 10,
    maxLoad: 5,
  },
  {
    id: 'researcher-001',
    name: 'Research Agent',
    type: 'researcher',
    description: 'Finds, reads and summarises sources',
    capabilities: ['web_research', 'document_analysis', 'data_synthesis'].map(cap),
    priority: 5,
    maxLoad: 3,
  },
  {
    id: 'coder-001',
    name: 'Coding Agent',
    type: 'coder',
    description: 'Writes, refactors and tests code; writes documents',
    capabilities: ['code_generation', 'code_refactoring', 'testing', 'document_creation', 'file_operations'].map(cap),
    priority: 5,
    maxLoad: 3,
  },
  {
    id: 'reviewer-001',
    name: 'Review Agent',
    type: 'reviewer',
    description: 'Reviews work and diagnoses errors',
    capabilities: ['code_review', 'error_diagnosis', 'pattern_recognition'].map(cap),
    priority: 5,
    maxLoad: 2,
  },
];
