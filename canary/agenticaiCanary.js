'use strict';
/**
 * CloudWatch Synthetics entry point (handler `agenticaiCanary.handler`). Thin by
 * design: it reads the configuration and the API key, then runs each step of
 * apiCheck.js as a Synthetics step, so CloudWatch records per-step success and
 * duration. All check logic lives in apiCheck.js.
 *
 * Environment (set by modules/canary.py, never a secret):
 *   API_BASE_URL        the stage's invoke URL
 *   API_KEY_SECRET_ID   ARN of the Secrets Manager secret holding the API key
 *   REQUEST_TIMEOUT_MS  per-request timeout
 */

const { STEPS, parseApiKeySecret } = require('./apiCheck');

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
  for (const step of STEPS) {
    await synthetics.executeStep(step.name, async () => {
      await step.run(options);
    });
  }
};
