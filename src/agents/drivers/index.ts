/** The bundled drivers and a registry to look them up by name. */
import type { AgentDriver, DriverRegistry } from '../types.js';
import { createExecDriver, type ExecDriverOptions } from './exec.js';
import { builtinFunctions, createFunctionDriver, type FunctionRegistry, type TaskFunction } from './function.js';
import { createTestDriver } from './test.js';

export { createExecDriver, createFunctionDriver, createTestDriver, builtinFunctions };
export type { ExecDriverOptions, FunctionRegistry, TaskFunction };
export type { FunctionContext } from './function.js';
export type { TestScript } from './test.js';

/** A registry over a fixed list of drivers (later ones replace earlier ones of the same name). */
export function createDriverRegistry(drivers: readonly AgentDriver[]): DriverRegistry {
  const byName = new Map(drivers.map((d) => [d.name, d] as const));
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()].sort(),
  };
}

export interface DefaultDriversOptions {
  /** Functions for the `function` driver (the built-ins are added). */
  functions?: FunctionRegistry;
  exec?: ExecDriverOptions;
  /** More drivers (coding-agent CLIs, LLM…); they replace bundled ones of the same name. */
  extra?: readonly AgentDriver[];
}

/** exec, function and test, plus any extra drivers. */
export function createDefaultDrivers(options: DefaultDriversOptions = {}): { registry: DriverRegistry; functions: FunctionRegistry } {
  const functions: FunctionRegistry = options.functions ?? new Map();
  for (const [name, fn] of builtinFunctions()) if (!functions.has(name)) functions.set(name, fn);
  const registry = createDriverRegistry([createExecDriver(options.exec), createFunctionDriver(functions), createTestDriver(), ...(options.extra ?? [])]);
  return { registry, functions };
}
