// The HTTP policy as users meet it: proxies, redirects, timeouts and which failures are retried.
import { afterEach, describe, expect, it } from '@jest/globals';
import { loopbackHostsOption, startInterceptingProxy, type InterceptingProxy } from '../support/intercepting-proxy.js';
import { startSynkzoneStandin, type SynkzoneStandin } from '../support/synkzone-standin.js';
import { count, REPOSITORY, SECRET_NAME, stage, type Stage } from './fixture.js';

let s: Stage;
let proxy: InterceptingProxy | undefined;
let elsewhere: SynkzoneStandin | undefined;
afterEach(async () => {
  await Promise.all([s?.close(), proxy?.close(), elsewhere?.close()]);
  proxy = elsewhere = undefined;
});

// The stand-ins listen on 127.0.0.1, which the action never proxies; so in these tests they are reached
// under made-up names (RFC 2606 .test), which only the intercepting proxy serves.
describe('proxies', () => {
  const SYNKZONE = 'https://synkzone.test';
  const GITHUB = 'https://api.github.test';

  it('sends Synkzone and GitHub calls through HTTPS_PROXY, one tunnel per host for the whole run', async () => {
    s = await stage();
    proxy = await startInterceptingProxy({ routes: { [SYNKZONE]: s.synkzone.url, [GITHUB]: s.github.url } });
    const run = await s.run({
      inputs: { ...s.inputs, 'api-url': SYNKZONE },
      env: { GITHUB_API_URL: GITHUB, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: proxy.caFile! }
    });
    expect(run.exitCode).toBe(0);
    // Keep-alive: each host's calls (sign-in, token, verification; key, secret) share one tunnel.
    expect([...proxy.tunnels].sort()).toEqual(['api.github.test:443', 'synkzone.test:443']);
    expect(count(s.synkzone, 'users')).toBe(1);
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)?.plaintext).toBe(run.outputs.token);
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    s = await stage();
    // GitHub as a host that is not loopback yet resolves (for the action only) to its stand-in, so going
    // around the proxy can succeed. The proxy serves it too: had NO_PROXY been ignored, the run would
    // still succeed, but through a tunnel this test sees.
    const github = `http://api.github.test:${new URL(s.github.url).port}`;
    proxy = await startInterceptingProxy({ routes: { [SYNKZONE]: s.synkzone.url, [github]: s.github.url } });
    const run = await s.run({
      inputs: { ...s.inputs, 'api-url': SYNKZONE },
      env: {
        GITHUB_API_URL: github,
        https_proxy: proxy.url,
        http_proxy: proxy.url,
        no_proxy: 'api.github.test',
        NODE_EXTRA_CA_CERTS: proxy.caFile!,
        NODE_OPTIONS: loopbackHostsOption(['api.github.test'])
      }
    });
    expect(run.exitCode).toBe(0);
    expect(proxy.tunnels).toEqual(['synkzone.test:443']);
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)?.plaintext).toBe(run.outputs.token);
  });

  it('reaches a loopback api-url directly even with HTTP_PROXY set and NO_PROXY empty', async () => {
    s = await stage();
    // GitHub through the proxy (plain http, no TLS), to show the proxy is in use in this very run.
    proxy = await startInterceptingProxy({ routes: { 'http://api.github.test': s.github.url } });
    const run = await s.run({ env: { GITHUB_API_URL: 'http://api.github.test', HTTP_PROXY: proxy.url, NO_PROXY: '' } });
    expect(run.exitCode).toBe(0);
    // No tunnel, not even a refused one, to the Synkzone stand-in at 127.0.0.1.
    expect(proxy.tunnels).toEqual(['api.github.test:80']);
    expect(count(s.synkzone, 'users')).toBe(1);
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)?.plaintext).toBe(run.outputs.token);
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
    expect(run.failures[0]).toMatch(
      /^Token creation failed: .*closed before the answer arrived \(not retried: the server may have acted on the request\)/
    );
    expect(s.github.secret({ repository: REPOSITORY }, SECRET_NAME)).toBeUndefined();
  });

  it('gives up on a verification that never answers after request-timeout, retrying the read', async () => {
    s = await stage();
    s.synkzone.faults.add({ route: 'users', fault: { kind: 'hang' }, times: Infinity });
    const run = await s.run({ inputs: { ...s.inputs, 'request-timeout': '0.5', 'max-attempts': '2' } });
    expect(run.exitCode).toBe(1);
    expect(count(s.synkzone, 'users')).toBe(2);
    expect(run.failures[0]).toMatch(
      /^Verification failed: GET 127\.0\.0\.1:\d+\/api\/users: no answer within 0\.5 s \(request-timeout\) \(after 2 attempts\)/
    );
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
