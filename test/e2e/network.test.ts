// The HTTP policy as users meet it: proxies, redirects, timeouts and which failures are retried.
import { afterEach, describe, expect, it } from '@jest/globals';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { startSynkzoneStandin, type SynkzoneStandin } from '../support/synkzone-standin.js';
import { count, REPOSITORY, SECRET_NAME, stage, type Stage } from './fixture.js';

let s: Stage;
let proxy: ConnectProxy | undefined;
let elsewhere: SynkzoneStandin | undefined;
afterEach(async () => {
  await Promise.all([s?.close(), proxy?.close(), elsewhere?.close()]);
  proxy = elsewhere = undefined;
});

const host = (url: string) => new URL(url).host;

describe('proxies', () => {
  it('sends Synkzone and GitHub calls through HTTP_PROXY', async () => {
    s = await stage();
    proxy = await startConnectProxy();
    const run = await s.run({ env: { HTTP_PROXY: proxy.url } });
    expect(run.exitCode).toBe(0);
    expect(new Set(proxy.tunnels)).toEqual(new Set([host(s.synkzone.url), host(s.github.url)]));
    // Keep-alive: one tunnel per host for the whole run.
    expect(proxy.tunnels).toHaveLength(2);
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    s = await stage();
    proxy = await startConnectProxy();
    const run = await s.run({ env: { http_proxy: proxy.url, no_proxy: host(s.github.url) } });
    expect(run.exitCode).toBe(0);
    expect(proxy.tunnels).toEqual([host(s.synkzone.url)]);
  });
});

describe('redirects', () => {
  it('refuses to follow a redirect, so credentials are never resent elsewhere', async () => {
    s = await stage();
    elsewhere = await startSynkzoneStandin();
    s.synkzone.faults.add({
      route: 'logon',
      fault: { kind: 'status', status: 307, headers: { location: `${elsewhere.url}/api/access/logon` } }
    });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(/^Sign-in failed: POST 127\.0\.0\.1:\d+\/api\/access\/logon answered with a redirect \(HTTP 307\)/);
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('retries', () => {
  it('retries token creation after a 503 (Synkzone did not act) and makes one token', async () => {
    s = await stage();
    s.synkzone.faults.add({ route: 'tokens', fault: { kind: 'status', status: 503 }, times: 1 });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(count(s.synkzone, 'tokens')).toBe(2);
    expect(s.synkzone.tokens).toHaveLength(1);
    expect(run.visibleLog).toMatch(/POST 127\.0\.0\.1:\d+\/api\/tokens: HTTP 503; retrying in [\d.]+ s \(attempt 2 of 3\)/);
  });

  it('honours Retry-After on a 429', async () => {
    s = await stage();
    s.synkzone.faults.add({ route: 'logon', fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, times: 1 });
    const started = Date.now();
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(run.visibleLog).toMatch(/HTTP 429; retrying in 1 s/);
  });

  it('does not repeat token creation when the connection drops after Synkzone acted', async () => {
    s = await stage();
    s.synkzone.faults.add({ route: 'tokens', fault: { kind: 'reset', afterEffect: true }, times: Infinity });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(count(s.synkzone, 'tokens')).toBe(1);
    expect(run.failures[0]).toMatch(/^Token creation failed: .*closed before the answer arrived \(not retried: the server may have acted on the request\)/);
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)).toBeUndefined();
  });

  it('gives up on a verification that never answers after request-timeout, retrying the read', async () => {
    s = await stage();
    s.synkzone.faults.add({ route: 'users', fault: { kind: 'hang' }, times: Infinity });
    const run = await s.run({ inputs: { ...s.inputs, 'request-timeout': '0.5', 'max-attempts': '2' } });
    expect(run.exitCode).toBe(1);
    expect(count(s.synkzone, 'users')).toBe(2);
    expect(run.failures[0]).toMatch(/^Verification failed: GET 127\.0\.0\.1:\d+\/api\/users: no answer within 0\.5 s \(request-timeout\) \(after 2 attempts\)/);
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)).toBeUndefined();
  });

  it('reports a Synkzone that is down, after retrying the sign-in', async () => {
    s = await stage();
    const run = await s.run({ inputs: { ...s.inputs, 'api-url': 'http://127.0.0.1:9' } });
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toMatch(/^Sign-in failed: POST 127\.0\.0\.1:9\/api\/access\/logon: connection refused \(after 3 attempts\)/);
    expect(run.visibleLog).toMatch(/connection refused; retrying in [\d.]+ s \(attempt 3 of 3\)/);
  });
});
