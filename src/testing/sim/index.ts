/**
 * The coding-agent CLI simulator (`tutti-sim`): claude, codex, gemini and cursor-agent as their
 * headless protocols really are, acting from a scenario file. See docs/coding-agents.md "Simulator".
 */
export { installSimulator, simulatorBin, SIM_PROGRAMS, type InstalledSimulator } from './install.js';
export { writeScenario, loadScenario, simScenarioSchema, SimScenarioError, SIM_CLIS, type SimScenario, type SimScenarioResolved, type SimEntry, type SimAction, type SimOutcome, type SimCli } from './scenario.js';
export { readCalls, readHangs, type SimCallRecord, type SimHangRecord } from './state.js';
