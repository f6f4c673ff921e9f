/**
 * What coding-agent CLIs say when they cannot work, recognised across CLIs: usage limits and
 * quotas (with the reset time when the text gives one), a model or service at capacity, an account
 * out of credits, missing or refused credentials, and an unreachable service. Applied only to
 * error channels (error events, error results, stderr), never to what the agent writes about code,
 * which may well mention "rate limit". The texts each CLI prints today are in the simulator's
 * protocol modules (src/testing/sim/), with their sources.
 */

/** Usage limits and quotas: rate-limited, not failed (seed 004). */
export const RATE_LIMIT_RE =
  /rate[ _-]?limit|quota (?:exceeded|exhausted|will reset)|exhausted your (?:capacity|quota|daily quota)|usage limit|hit your (?:\w+ )?limit|limit reached|too many requests|resource[_ ]exhausted|\bstatus(?: code)?:? 429\b|\b429 too many/i;

/** The model or the provider is at capacity or overloaded (Claude 529 overloaded_error, Codex "is at capacity", Gemini MODEL_CAPACITY_EXHAUSTED). */
export const CAPACITY_RE =
  /is at capacity|no capacity available|model_capacity_exhausted|capacity exceeded|overloaded|server_is_overloaded|\b529\b|high demand|\bstatus(?: code)?:? 503\b|503 service unavailable|service unavailable/i;

/** The account is out of credits or over its spend cap (billing, not a rate limit). */
export const CREDITS_RE =
  /out of (?:usage )?credits|credit balance is too low|billing[_ ]error|insufficient[_ ]\w*[_ ]?credits|insufficient_quota|spend cap|spending limit|quota exceeded\. check your plan and billing/i;

/** Missing, expired or refused credentials. */
export const AUTH_RE =
  /not logged in|please run \/login|not authenticated|authentication required|unauthori[sz]ed|invalid[ _-](?:x-)?api[ _-]?key|api key (?:not valid|is invalid|not found)|authentication[ _](?:failed|error|required)|please set an auth method|login required|(?:oauth )?token (?:has )?expired|\bstatus(?: code)?:? 401\b|\b401 unauthori/i;

/** No route to the service. */
export const NETWORK_RE =
  /waiting for network|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|getaddrinfo|failed to lookup address|name does not resolve|fetch failed|network is unreachable|connection failed|error sending request|stream disconnected|ETIMEDOUT|socket hang up/i;

export { parseDuration, parseResetTime } from './reset-time.js';

/** The first line of `text` matching `re`, trimmed to 300 characters. */
export function matchingLine(text: string, re: RegExp): string | undefined {
  const line = text.split('\n').find((l) => re.test(l));
  return line?.trim().slice(0, 300);
}
