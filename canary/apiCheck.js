'use strict';
/**
 * The AgenticAI API check: plain Node.js, no Synthetics dependency, so it runs
 * (and is tested) anywhere. The Synthetics wrapper (agenticaiCanary.js) runs each
 * step of STEPS as a Synthetics step.
 *
 * A step fails on a network error, a timeout, any non-2xx status, or a body that
 * is not what the route contract promises.
 */

const DEFAULT_TIMEOUT_MS = 10_000;

class CheckError extends Error {
  constructor(step, reason) {
    super(`${step} failed: ${reason}`);
    this.name = 'CheckError';
    this.step = step;
    this.reason = reason;
  }
}

function joinUrl(baseUrl, path) {
  if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) {
    throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(baseUrl)}`);
  }
  return baseUrl.replace(/\/+$/, '') + path;
}

/** One HTTP request with a hard timeout covering connect, headers and body. Returns {status, body}. */
async function request(step, { baseUrl, apiKey, timeoutMs = DEFAULT_TIMEOUT_MS }, method, path, payload) {
  const headers = { Accept: 'application/json', 'User-Agent': 'agenticai-canary/1' };
  if (apiKey) headers['X-API-Key'] = apiKey;
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  let text;
  try {
    response = await fetch(joinUrl(baseUrl, path), {
      method,
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    text = await response.text();
  } catch (error) {
    if (error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new CheckError(step, `no response within ${timeoutMs} ms (${method} ${path})`);
    }
    const cause = error && error.cause ? `${error.cause.code || error.cause.message}` : String(error);
    throw new CheckError(step, `${method} ${path} could not be sent: ${cause}`);
  }
  if (response.status < 200 || response.status > 299) {
    throw new CheckError(step, `${method} ${path} returned HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CheckError(step, `${method} ${path} returned a body that is not JSON: ${text.slice(0, 200)}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new CheckError(step, `${method} ${path} returned ${text.slice(0, 200)}, not a JSON object`);
  }
  return { status: response.status, body };
}

/** Health Check: GET /health answers 2xx with a JSON object (and no unhealthy status). */
async function healthCheck(options) {
  const step = 'Health Check';
  const { status, body } = await request(step, options, 'GET', '/health');
  const state = body.status;
  if (typeof state === 'string' && !['ok', 'healthy', 'pass', 'up'].includes(state.toLowerCase())) {
    throw new CheckError(step, `GET /health reports status ${JSON.stringify(state)}`);
  }
  return { status, body };
}

/** Create Project: POST /api/projects with {name, type, description} answers 2xx with the new id. */
async function createProject(options) {
  const step = 'Create Project';
  const now = options.now ? options.now() : new Date();
  const project = {
    name: `canary-${now.toISOString()}`,
    type: 'canary',
    description: 'Synthetic check by the AgenticAI canary; safe to delete.',
  };
  const { status, body } = await request(step, options, 'POST', '/api/projects', project);
  if (typeof body.id !== 'string' && typeof body.id !== 'number') {
    throw new CheckError(step, `POST /api/projects returned no project id: ${JSON.stringify(body).slice(0, 200)}`);
  }
  if (String(body.id).length === 0) {
    throw new CheckError(step, 'POST /api/projects returned an empty project id');
  }
  return { status, body };
}

/** The canary's steps, in order. */
const STEPS = Object.freeze([
  Object.freeze({ name: 'Health Check', run: healthCheck }),
  Object.freeze({ name: 'Create Project', run: createProject }),
]);

/** Run every step in order; the first failure throws a CheckError naming the step. */
async function runChecks(options) {
  const results = [];
  for (const step of STEPS) {
    const started = Date.now();
    const { status } = await step.run(options);
    results.push({ step: step.name, status, durationMs: Date.now() - started });
  }
  return results;
}

/**
 * The API key from a Secrets Manager SecretString: either the key itself, or a
 * JSON object with an `api_key` (or `apiKey`) field.
 */
function parseApiKeySecret(secretString) {
  if (typeof secretString !== 'string' || secretString.trim() === '') {
    throw new Error('the API key secret has no string value');
  }
  const trimmed = secretString.trim();
  if (trimmed.startsWith('{')) {
    let parsed;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error('the API key secret looks like JSON but does not parse');
    }
    const key = parsed.api_key ?? parsed.apiKey;
    if (typeof key !== 'string' || key === '') {
      throw new Error('the API key secret is a JSON object without an "api_key" string');
    }
    return key;
  }
  return trimmed;
}

module.exports = {
  CheckError,
  DEFAULT_TIMEOUT_MS,
  STEPS,
  createProject,
  healthCheck,
  parseApiKeySecret,
  runChecks,
};
