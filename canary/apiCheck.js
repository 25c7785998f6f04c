'use strict';
/**
 * The AgenticAI API check: plain Node.js, no Synthetics dependency, so it runs
 * (and is tested) anywhere. Each step is an HTTP request plus a check of its
 * response, run through an `executeHttpStep(name, requestOptions, callback,
 * stepConfig)` function: Synthetics' own in the canary (agenticaiCanary.js), so
 * the console shows each request and response with X-API-Key redacted, and
 * `nodeHttpStep` (same contract, node:http) in the tests.
 *
 * The canary leaves no trace: its project carries `ttl_seconds` (DynamoDB TTL
 * removes it within about a day even if the run dies) and the last step deletes
 * it; a failed run still deletes what it created.
 *
 * A step fails on a network error, a timeout, any non-2xx status, or a body that
 * is not what the route contract promises.
 */

const http = require('node:http');
const https = require('node:https');
const crypto = require('node:crypto');

const DEFAULT_TIMEOUT_MS = 10_000;
/** How long the canary's project may live if the run cannot delete it (seconds). */
const PROJECT_TTL_SECONDS = 86_400;
/** Synthetics step configuration: record requests and responses, never the key. */
const STEP_CONFIG = Object.freeze({
  includeRequestHeaders: true,
  includeResponseHeaders: true,
  includeRequestBody: true,
  includeResponseBody: true,
  restrictedHeaders: Object.freeze(['X-API-Key']),
});

class CheckError extends Error {
  constructor(step, reason) {
    super(`${step} failed: ${reason}`);
    this.name = 'CheckError';
    this.step = step;
    this.reason = reason;
  }
}

/** Node http(s) request options (plus `body`) for `path` under the stage's base URL. */
function requestOptions({ baseUrl, apiKey, timeoutMs = DEFAULT_TIMEOUT_MS }, method, path, payload, extraHeaders) {
  if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) {
    throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(baseUrl)}`);
  }
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  const headers = { Accept: 'application/json', 'User-Agent': 'agenticai-canary/2', ...(extraHeaders || {}) };
  if (apiKey) headers['X-API-Key'] = apiKey;
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return {
    hostname: url.hostname,
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    protocol: url.protocol,
    method,
    path: url.pathname + url.search,
    headers,
    body,
    timeout: timeoutMs,
  };
}

/** Read a response inside an executeHttpStep callback: 2xx and a JSON object, within the timeout. */
function readJson(step, res, request, timeoutMs) {
  const what = `${request.method} ${request.path}`;
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      res.destroy();
      reject(new CheckError(step, `no response within ${timeoutMs} ms (${what})`));
    }, timeoutMs);
    res.setEncoding('utf8');
    res.on('data', (chunk) => (text += chunk));
    res.on('error', (error) => {
      clearTimeout(timer);
      reject(new CheckError(step, `${what} failed while reading: ${error.message}`));
    });
    res.on('end', () => {
      clearTimeout(timer);
      if (res.statusCode < 200 || res.statusCode > 299) {
        reject(new CheckError(step, `${what} returned HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        return;
      }
      if (res.statusCode === 204) return resolve({ status: res.statusCode, body: {} });
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        reject(new CheckError(step, `${what} returned a body that is not JSON: ${text.slice(0, 200)}`));
        return;
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        reject(new CheckError(step, `${what} returned ${text.slice(0, 200)}, not a JSON object`));
        return;
      }
      resolve({ status: res.statusCode, body });
    });
  });
}

/**
 * executeHttpStep's contract on node:http: send `request`, hand the response to `callback`, fail the
 * step on a network error or when no response arrives within `request.timeout`.
 */
function nodeHttpStep(stepName, request, callback) {
  const transport = request.protocol === 'https:' ? https : http;
  const { body, timeout, ...options } = request;
  return new Promise((resolve, reject) => {
    const what = `${request.method} ${request.path}`;
    const req = transport.request(options, (res) => {
      clearTimeout(timer);
      Promise.resolve(callback(res)).then(resolve, reject);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new CheckError(stepName, `no response within ${timeout} ms (${what})`));
    }, timeout);
    req.on('error', (error) => {
      clearTimeout(timer);
      const cause = error.code || error.message;
      reject(error instanceof CheckError ? error : new CheckError(stepName, `${what} could not be sent: ${cause}`));
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Health Check: GET /health with the key answers 2xx with a JSON object (and no unhealthy status). */
const healthCheck = {
  name: 'Health Check',
  request: (options) => requestOptions(options, 'GET', '/health'),
  check(step, { body }) {
    const state = body.status;
    if (typeof state === 'string' && !['ok', 'healthy', 'pass', 'up'].includes(state.toLowerCase())) {
      throw new CheckError(step, `GET /health reports status ${JSON.stringify(state)}`);
    }
  },
};

/** Create Project: POST /api/projects with a temporary project (TTL) answers 2xx with the new id. */
const createProject = {
  name: 'Create Project',
  request(options, state) {
    const now = options.now ? options.now() : new Date();
    const project = {
      name: `canary-${now.toISOString()}`,
      type: 'canary',
      description: 'Synthetic check by the AgenticAI canary; deleted by the same run, expires within a day.',
      ttl_seconds: PROJECT_TTL_SECONDS,
    };
    return requestOptions(options, 'POST', '/api/projects', project, { 'Idempotency-Key': state.runId });
  },
  check(step, { body }, state) {
    if (typeof body.id !== 'string' || body.id.length === 0) {
      throw new CheckError(step, `POST /api/projects returned no project id: ${JSON.stringify(body).slice(0, 200)}`);
    }
    state.projectId = body.id;
  },
};

/** Get Project: the new project is readable by the key that created it. */
const getProject = {
  name: 'Get Project',
  request: (options, state) => requestOptions(options, 'GET', `/api/projects/${encodeURIComponent(state.projectId)}`),
  check(step, { body }, state) {
    if (body.id !== state.projectId) {
      throw new CheckError(step, `GET /api/projects/${state.projectId} returned id ${JSON.stringify(body.id)}`);
    }
  },
};

/** Delete Project: the canary removes what it created. */
const deleteProject = {
  name: 'Delete Project',
  request: (options, state) =>
    requestOptions(options, 'DELETE', `/api/projects/${encodeURIComponent(state.projectId)}`),
  check(_step, _result, state) {
    state.deleted = true;
  },
};

/** The canary's steps, in order. */
const STEPS = Object.freeze([healthCheck, createProject, getProject, deleteProject]);

async function runStep(step, options, state, executeHttpStep) {
  const request = step.request(options, state);
  const timeoutMs = options.timeoutMs || DEFAULT_TIMEOUT_MS;
  let result;
  await executeHttpStep(
    step.name,
    request,
    async (res) => {
      result = await readJson(step.name, res, request, timeoutMs);
      step.check(step.name, result, state);
    },
    STEP_CONFIG,
  );
  return result;
}

/**
 * Run every step in order; the first failure throws a CheckError naming the step. A project created
 * before a failure is still deleted (best effort; its TTL removes it otherwise).
 */
async function runChecks(options, executeHttpStep = nodeHttpStep) {
  const state = { runId: options.runId || `canary-${crypto.randomUUID()}`, projectId: undefined, deleted: false };
  const results = [];
  try {
    for (const step of STEPS) {
      const started = Date.now();
      const { status } = await runStep(step, options, state, executeHttpStep);
      results.push({ step: step.name, status, durationMs: Date.now() - started });
    }
  } finally {
    if (state.projectId && !state.deleted) {
      await runStep(deleteProject, options, state, executeHttpStep).catch(() => undefined);
    }
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
  PROJECT_TTL_SECONDS,
  STEPS,
  STEP_CONFIG,
  nodeHttpStep,
  parseApiKeySecret,
  requestOptions,
  runChecks,
};
