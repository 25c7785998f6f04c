'use strict';
// node --test canary/ : the check logic against a real local HTTP server started by each test.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const Module = require('node:module');

const { CheckError, PROJECT_TTL_SECONDS, STEPS, STEP_CONFIG, nodeHttpStep, parseApiKeySecret, runChecks } = require('./apiCheck');

const API_KEY = 'test-key-123';

/** A fake AgenticAI API. `routes` maps "METHOD /path" to a handler(req, res, body). */
async function startApi(routes) {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const handler = routes[`${req.method} ${req.url}`];
      if (!handler) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      handler(req, res, body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${server.address().port}/prod`;
  const stop = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    });
  return { baseUrl, seen, stop };
}

function json(status, value) {
  return (req, res) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
}

function requireKey(inner) {
  return (req, res, body) => {
    if (!req.headers['x-api-key']) return json(401, { error: 'Unauthorized' })(req, res);
    if (req.headers['x-api-key'] !== API_KEY) return json(403, { error: 'Forbidden' })(req, res);
    return inner(req, res, body);
  };
}

function healthyRoutes() {
  return {
    'GET /prod/health': requireKey(json(200, { status: 'healthy' })),
    'POST /prod/api/projects': requireKey((req, res, body) => {
      const project = JSON.parse(body);
      json(201, { id: 'p-1', ...project })(req, res);
    }),
    'GET /prod/api/projects/p-1': requireKey(json(200, { id: 'p-1', status: 'pending' })),
    'DELETE /prod/api/projects/p-1': requireKey(json(200, { id: 'p-1', deleted: true })),
  };
}

async function withApi(routes, fn) {
  const api = await startApi(routes);
  try {
    return await fn(api);
  } finally {
    await api.stop();
  }
}

async function assertFails(promise, step, pattern) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof CheckError, `expected CheckError, got ${error}`);
    assert.equal(error.step, step);
    assert.match(error.message, pattern);
    return true;
  });
}

test('the seed\'s two steps, then read and delete what was created, in order', () => {
  assert.deepEqual(
    STEPS.map((s) => s.name),
    ['Health Check', 'Create Project', 'Get Project', 'Delete Project'],
  );
});

test('passes when the API is healthy, sends the key everywhere and leaves no project behind', async () => {
  await withApi(healthyRoutes(), async (api) => {
    const results = await runChecks({ baseUrl: api.baseUrl + '/', apiKey: API_KEY, timeoutMs: 5000 });
    assert.deepEqual(
      results.map((r) => [r.step, r.status]),
      [
        ['Health Check', 200],
        ['Create Project', 201],
        ['Get Project', 200],
        ['Delete Project', 200],
      ],
    );
    assert.ok(api.seen.every((r) => r.headers['x-api-key'] === API_KEY));
    const post = api.seen.find((r) => r.method === 'POST');
    assert.equal(post.headers['content-type'], 'application/json');
    assert.match(post.headers['idempotency-key'], /^canary-[0-9a-f-]{36}$/);
    const project = JSON.parse(post.body);
    assert.deepEqual(Object.keys(project).sort(), ['description', 'name', 'ttl_seconds', 'type']);
    assert.equal(project.ttl_seconds, PROJECT_TTL_SECONDS);
    assert.ok(PROJECT_TTL_SECONDS <= 86400);
    assert.match(project.name, /^canary-\d{4}-/);
    assert.deepEqual(
      api.seen.map((r) => `${r.method} ${r.url}`),
      ['GET /prod/health', 'POST /prod/api/projects', 'GET /prod/api/projects/p-1', 'DELETE /prod/api/projects/p-1'],
    );
  });
});

test('a run that fails after creating its project still deletes it', async () => {
  const routes = { ...healthyRoutes(), 'GET /prod/api/projects/p-1': json(500, { error: 'boom' }) };
  await withApi(routes, async (api) => {
    await assertFails(runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY, timeoutMs: 5000 }), 'Get Project', /HTTP 500/);
    assert.equal(api.seen.at(-1).method, 'DELETE');
    assert.equal(api.seen.at(-1).url, '/prod/api/projects/p-1');
  });
});

test('fails when the API is down (connection refused)', async () => {
  const api = await startApi(healthyRoutes());
  await api.stop(); // nothing listens on that port any more
  await assertFails(runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY, timeoutMs: 2000 }), 'Health Check', /could not be sent: ECONNREFUSED/);
});

for (const [status, pattern] of [
  [401, /HTTP 401/],
  [403, /HTTP 403/],
]) {
  test(`fails on ${status} from the front door`, async () => {
    await withApi(healthyRoutes(), async (api) => {
      const apiKey = status === 401 ? '' : 'wrong-key';
      // /health is behind the key, like every route: the first step already fails.
      await assertFails(runChecks({ baseUrl: api.baseUrl, apiKey, timeoutMs: 5000 }), 'Health Check', pattern);
    });
  });
}

for (const status of [500, 502, 503]) {
  test(`fails on ${status} from the health route`, async () => {
    const routes = { ...healthyRoutes(), 'GET /prod/health': json(status, { error: 'boom' }) };
    await withApi(routes, async (api) => {
      await assertFails(
        runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY, timeoutMs: 5000 }),
        'Health Check',
        new RegExp(`HTTP ${status}`),
      );
    });
  });
}

test('fails on 5xx from create project', async () => {
  const routes = { ...healthyRoutes(), 'POST /prod/api/projects': json(500, { error: 'Internal' }) };
  await withApi(routes, async (api) => {
    await assertFails(runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY, timeoutMs: 5000 }), 'Create Project', /HTTP 500/);
  });
});

test('fails on a slow response past the timeout', async () => {
  // The handler never answers; the client's own timeout must end the step.
  const routes = { ...healthyRoutes(), 'GET /prod/health': () => {} };
  await withApi(routes, async (api) => {
    await assertFails(
      runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY, timeoutMs: 150 }),
      'Health Check',
      /no response within 150 ms/,
    );
  });
});

test('fails on a body that stalls after the headers', async () => {
  const routes = {
    ...healthyRoutes(),
    'POST /prod/api/projects': (req, res) => {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.write('{"id":'); // and never ends
    },
  };
  await withApi(routes, async (api) => {
    await assertFails(
      runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY, timeoutMs: 150 }),
      'Create Project',
      /no response within 150 ms/,
    );
  });
});

test('fails on a malformed health body', async () => {
  const routes = {
    ...healthyRoutes(),
    'GET /prod/health': (req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>ok</html>'),
  };
  await withApi(routes, async (api) => {
    await assertFails(runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY }), 'Health Check', /not JSON/);
  });
});

test('fails when health reports an unhealthy status', async () => {
  const routes = { ...healthyRoutes(), 'GET /prod/health': json(200, { status: 'degraded' }) };
  await withApi(routes, async (api) => {
    await assertFails(runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY }), 'Health Check', /"degraded"/);
  });
});

test('fails when create project returns no id', async () => {
  const routes = { ...healthyRoutes(), 'POST /prod/api/projects': json(201, { name: 'x' }) };
  await withApi(routes, async (api) => {
    await assertFails(runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY }), 'Create Project', /no project id/);
  });
});

test('fails when create project returns a JSON array', async () => {
  const routes = { ...healthyRoutes(), 'POST /prod/api/projects': json(201, [{ id: 'x' }]) };
  await withApi(routes, async (api) => {
    await assertFails(runChecks({ baseUrl: api.baseUrl, apiKey: API_KEY }), 'Create Project', /not a JSON object/);
  });
});

test('the API key secret may be the key or a JSON object with api_key', () => {
  assert.equal(parseApiKeySecret('abc'), 'abc');
  assert.equal(parseApiKeySecret('{"api_key": "k1", "key_id": "id"}'), 'k1');
  assert.equal(parseApiKeySecret('{"apiKey": "k2"}'), 'k2');
  assert.throws(() => parseApiKeySecret(''), /no string value/);
  assert.throws(() => parseApiKeySecret('{"other": 1}'), /without an "api_key"/);
  assert.throws(() => parseApiKeySecret('{broken'), /does not parse/);
});

test('the Synthetics wrapper reads the key from Secrets Manager and runs each step as an HTTP step', async () => {
  // Stand-ins for the two modules only the Synthetics runtime provides.
  const steps = [];
  const configs = [];
  const requested = [];
  const globalConfig = {};
  const fakes = {
    '@aws/synthetics-puppeteer': {
      getConfiguration: () => ({ setConfig: (value) => Object.assign(globalConfig, value) }),
      executeHttpStep: async (name, request, callback, stepConfig) => {
        steps.push(name);
        configs.push(stepConfig);
        return nodeHttpStep(name, request, callback);
      },
    },
    '@aws-sdk/client-secrets-manager': {
      SecretsManagerClient: class {
        async send(command) {
          requested.push(command.input.SecretId);
          return { SecretString: JSON.stringify({ api_key: API_KEY }) };
        }
      },
      GetSecretValueCommand: class {
        constructor(input) {
          this.input = input;
        }
      },
    },
  };
  const originalLoad = Module._load;
  Module._load = function load(request, parent, isMain) {
    if (request in fakes) return fakes[request];
    return originalLoad.call(this, request, parent, isMain);
  };
  try {
    await withApi(healthyRoutes(), async (api) => {
      const env = { API_BASE_URL: api.baseUrl, API_KEY_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:1:secret:k', REQUEST_TIMEOUT_MS: '5000' };
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        const wrapper = require(path.join(__dirname, 'agenticaiCanary.js'));
        await wrapper.handler();
      } finally {
        for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
      }
      assert.deepEqual(steps, ['Health Check', 'Create Project', 'Get Project', 'Delete Project']);
      assert.ok(configs.every((c) => c === STEP_CONFIG && c.restrictedHeaders.includes('X-API-Key')));
      assert.deepEqual(globalConfig.restrictedHeaders, ['X-API-Key']);
      assert.deepEqual(requested, [env.API_KEY_SECRET_ID]);
      assert.equal(api.seen.find((r) => r.method === 'POST').headers['x-api-key'], API_KEY);
    });
  } finally {
    Module._load = originalLoad;
  }
});
