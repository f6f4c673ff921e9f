/**
 * The JSON body parser of every route: Fastify's own (prototype-poisoning checks kept) behind a
 * depth scan of the raw text, then a NUL-byte check of the parsed value. Both answer 400
 * `ERR_INVALID_INPUT` naming the field (`body.metadata.a.b`) before any route runs, so nothing
 * deeper than {@link MAX_JSON_DEPTH} ever reaches `JSON.stringify` or the store.
 */
import type { FastifyInstance } from 'fastify';
import { findNulByte, joinPaths, MAX_JSON_DEPTH, scanJsonDepth } from '../core/limits.js';
import { HttpError } from './errors.js';

/**
 * Where NUL bytes are data, not text for a command line: a task's (or seed step's) `input`, free-form
 * `metadata` and `initialContext` (which reaches prompts only as escaped JSON). Everywhere else
 * (prompts, commands, env, feedback, ids) they are refused.
 */
const NUL_ALLOWED = /^body(\.plan)?(\.(tasks|steps)\[\d+\]\.input|\.metadata|\.initialContext)(\.|\[|$)/;

export function registerJsonBodyParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    const deep = scanJsonDepth(text, maxDepth);
    if (deep) {
      done(invalid(joinPaths('body', deep.path), `nested deeper than ${maxDepth} levels of arrays and objects (at character ${deep.offset})`), undefined);
      return;
    }
    parse(req, text, (err, value) => {
      if (err) return done(err, undefined);
      const nul = findNulByte(value, 'body', (p) => NUL_ALLOWED.test(p));
      if (nul) return done(invalid(nul.path, nul.message), undefined);
      return done(null, value);
    });
  });
}

function invalid(path: string, message: string): HttpError {
  return new HttpError(400, 'ERR_INVALID_INPUT', `invalid request: ${path}: ${message}`, { issues: [{ path, message }] });
}
