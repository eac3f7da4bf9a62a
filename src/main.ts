/**
 * The job, in order: sign in, create the token, verify it, mask and store it.
 * Dependencies come in as arguments, so tests swap them without module mocking.
 */
import type * as actionsCore from '@actions/core';
import { ActionError } from './errors.js';
import { HttpClient } from './http.js';
import { readInputs, type Config } from './inputs.js';
import { openSecretStore, type SecretStore } from './github-secrets.js';
import { renewalDueAt } from './renewal.js';
import { writeSummary, type RunReport } from './summary.js';
import { createScimToken, signIn, verifyToken, type SynkzoneClient } from './synkzone.js';

export type Core = Pick<typeof actionsCore, 'getInput' | 'setSecret' | 'setOutput' | 'info' | 'debug' | 'notice' | 'warning' | 'summary'>;

export interface Dependencies {
  core: Core;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
}

export async function run({ core, env, now = () => new Date() }: Dependencies): Promise<void> {
  const config = readInputs({
    getInput: (name, exact) => core.getInput(name, { trimWhitespace: !exact }),
    setSecret: (value) => core.setSecret(value),
    env
  });
  const http = new HttpClient({ maxAttempts: config.maxAttempts, timeoutMs: config.requestTimeoutMs, log: core });
  const report: RunReport = { apiUrl: config.apiUrl, tokenName: config.tokenName, validitySeconds: config.validitySeconds };
  try {
    await mint(core, config, http, report, now);
  } catch (error) {
    report.failure = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    await http.close();
    await writeSummary(core.summary, report).catch((error: unknown) => core.debug(`No job summary written: ${(error as Error).name}`));
  }
}

async function mint(core: Core, config: Config, http: HttpClient, report: RunReport, now: () => Date): Promise<void> {
  const store = config.secret ? await openSecretStore(http, config.secret) : undefined;
  core.setOutput('secret-written', 'false');

  let secretMissing = false;
  if (store && config.secret?.renewBeforeSeconds !== undefined) {
    const updatedAt = await store.readUpdatedAt();
    const nextRenewalAt = updatedAt && notYetDue(core, store, updatedAt, config.validitySeconds, config.secret.renewBeforeSeconds, now());
    if (nextRenewalAt) {
      core.notice(`Not renewed: the ${store.description} is still fresh; the next renewal is due ${nextRenewalAt.toISOString()}.`);
      core.setOutput('renewed', 'false');
      Object.assign(report, { nextRenewalAt, storedIn: store.description });
      return;
    }
    secretMissing = !updatedAt;
    if (secretMissing) core.info(`The ${store.description} does not exist yet: making a token.`);
  }

  // What storing needs (public key, libsodium) does not depend on the token: fetch it while Synkzone works.
  const storeReady = store?.prepare();
  storeReady?.catch(() => undefined); // observed below; this only keeps an early failure from being "unhandled"
  // A missing secret may mean a missing environment: find out before signing in, not after.
  if (secretMissing) await storeReady;

  const synkzone: SynkzoneClient = { http, apiUrl: config.apiUrl, mask: (value) => core.setSecret(value) };
  core.info(`Signing in to ${config.apiUrl} as ${config.username}.`);
  const sessionId = await signIn(synkzone, config.username, config.password);
  // A storage problem (missing environment, missing permission) stops the run before a token exists.
  await storeReady;

  core.info(`Creating token '${config.tokenName}' with the SCIM scope.`);
  const createdAt = now();
  const token = await createScimToken(synkzone, sessionId, config);
  core.setOutput('renewed', 'true');
  const expiresAt = new Date(createdAt.getTime() + config.validitySeconds * 1000);
  report.expiresAt = expiresAt;

  if (config.verify) {
    core.info('Verifying the token with GET /api/users.');
    const { userCount } = await verifyToken(synkzone, token, config.tokenName).catch((error: unknown) => {
      report.verified = false;
      throw error;
    });
    Object.assign(report, { verified: true, userCount });
    if (userCount !== undefined) core.setOutput('user-count', String(userCount));
  } else {
    core.warning('Verification skipped (verify: false): the token is output and stored without proof that it works.');
  }
  core.setOutput('token', token);
  core.setOutput('token-name', config.tokenName);
  core.setOutput('expires-at', expiresAt.toISOString());
  core.setOutput('verified', String(config.verify));
  core.info(`Token '${config.tokenName}' created; it expires ${expiresAt.toISOString()}.`);

  if (store) {
    core.info(`Storing the token in the ${store.description}.`);
    await store.write(token).catch((error: unknown) => {
      throw (
        error instanceof ActionError
          ? error
          : new ActionError('Secret storage', 'an unexpected error occurred.', undefined, { cause: error })
      ).withNote(
        `The token '${config.tokenName}' was created${config.verify ? ' and verified' : ''} in Synkzone but NOT stored; run again once this is fixed (the new run makes a new token).`
      );
    });
    report.storedIn = store.description;
    core.setOutput('secret-written', 'true');
    core.info(`Stored in the ${store.description}.`);
  }
}

/** The next renewal time when the stored secret is still fresh; undefined when a new token is due. */
function notYetDue(
  core: Core,
  store: SecretStore,
  updatedAt: Date,
  validitySeconds: number,
  renewBeforeSeconds: number,
  now: Date
): Date | undefined {
  const dueAt = renewalDueAt(updatedAt, validitySeconds, renewBeforeSeconds);
  if (dueAt > now) return dueAt;
  core.info(
    `The ${store.description} was last written ${updatedAt.toISOString()}; renewal was due ${dueAt.toISOString()}: making a new token.`
  );
  return undefined;
}
