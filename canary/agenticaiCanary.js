'use strict';
/**
 * CloudWatch Synthetics entry point (handler `agenticaiCanary.handler`). Thin by
 * design: it reads the configuration and the API key, then runs each step of
 * apiCheck.js as a Synthetics HTTP step (executeHttpStep), so CloudWatch records
 * per-step success, duration, request and response, with X-API-Key among the
 * restricted headers (redacted in reports, HAR files and logs). All check logic
 * lives in apiCheck.js.
 *
 * Environment (set by modules/canary.py, never a secret):
 *   API_BASE_URL        the stage's invoke URL
 *   API_KEY_SECRET_ID   ARN of the Secrets Manager secret holding the API key
 *   REQUEST_TIMEOUT_MS  per-request timeout
 */

const { STEP_CONFIG, parseApiKeySecret, runChecks } = require('./apiCheck');

function loadSynthetics() {
  // syn-nodejs-puppeteer-13.1 and later publish the library under @aws/; older ones as "Synthetics".
  try {
    return require('@aws/synthetics-puppeteer');
  } catch {
    return require('Synthetics');
  }
}

// Read on every run, never cached: a rotated key takes effect on the next run.
async function readApiKey(secretId) {
  if (!secretId) throw new Error('API_KEY_SECRET_ID is not set');
  // The AWS SDK v3 ships with the Lambda Node.js runtime under every current Synthetics runtime.
  const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  return parseApiKeySecret(result.SecretString);
}

exports.handler = async () => {
  const synthetics = loadSynthetics();
  const options = {
    baseUrl: process.env.API_BASE_URL,
    apiKey: await readApiKey(process.env.API_KEY_SECRET_ID),
    timeoutMs: Number(process.env.REQUEST_TIMEOUT_MS || 10000),
  };
  // Redact the key everywhere Synthetics records headers, not only in the steps' own reports.
  const configuration = synthetics.getConfiguration && synthetics.getConfiguration();
  if (configuration && configuration.setConfig) {
    configuration.setConfig({ restrictedHeaders: [...STEP_CONFIG.restrictedHeaders] });
  }
  await runChecks(options, (name, request, callback, stepConfig) =>
    synthetics.executeHttpStep(name, request, callback, stepConfig),
  );
};
