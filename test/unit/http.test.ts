// The retry policy of the one HTTP helper, against a real server on loopback, with the waits recorded
// instead of slept so every case is exact and fast.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { ActionError } from '../../src/errors.js';
import { HttpClient, RATE_LIMIT_BUDGET_MS, type RequestSpec } from '../../src/http.js';

interface Answer {
  status: number;
  headers?: Record<string, string>;
}
let answers: Answer[] = [];
let received = 0;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    received++;
    const answer = answers.shift() ?? { status: 200 };
    res.writeHead(answer.status, answer.headers).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/x`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  answers = [];
  received = 0;
});

function client(maxAttempts = 3, random = 0.5) {
  const waits: number[] = [];
  const logs: string[] = [];
  const http = new HttpClient({
    maxAttempts,
    timeoutMs: 5000,
    log: { info: (m) => logs.push(m), debug: () => undefined },
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => random
  });
  return { http, waits, logs };
}

const GET: RequestSpec = { method: 'GET', url: '', step: 'Verification', retry: 'idempotent' };
const POST: RequestSpec = { method: 'POST', url: '', step: 'Token creation', retry: 'unsafe', body: '{}' };
const GITHUB_PUT: RequestSpec = { method: 'PUT', url: '', step: 'Secret storage', retry: 'idempotent', githubRateLimits: true, body: '{}' };

describe('which answers are retried', () => {
  it.each<[string, RequestSpec, number, number]>([
    // [name, request, status answered every time, attempts made]
    ['a read after 500', GET, 500, 3],
    ['a read after 429', GET, 429, 3],
    ['a read after 404', GET, 404, 1],
    ['a read after 401', GET, 401, 1],
    ['an unsafe write after 500 (Synkzone may have acted)', POST, 500, 1],
    ['an unsafe write after 502', POST, 502, 3],
    ['an unsafe write after 503', POST, 503, 3],
    ['an unsafe write after 504', POST, 504, 3],
    ['an unsafe write after 429', POST, 429, 3],
    ['an unsafe write after 401', POST, 401, 1],
    ['an unsafe write after 403', POST, 403, 1],
    ['a GitHub write after 403 without rate-limit headers', GITHUB_PUT, 403, 1]
  ])('%s', async (_name, spec, status, attempts) => {
    answers = Array.from({ length: 5 }, () => ({ status }));
    const { http } = client();
    const response = await http.request({ ...spec, url });
    await http.close();
    expect(response.status).toBe(status);
    expect(received).toBe(attempts);
  });

  it('returns the first success after failures', async () => {
    answers = [{ status: 503 }, { status: 200 }];
    const { http, logs } = client();
    expect((await http.request({ ...POST, url })).status).toBe(200);
    await http.close();
    expect(received).toBe(2);
    expect(logs).toEqual([expect.stringMatching(/^POST 127\.0\.0\.1:\d+\/x: HTTP 503; retrying in 0\.4 s \(attempt 2 of 3\)\.$/)]);
  });

  it('retries a refused connection even for an unsafe write, then names the cause', async () => {
    const { http, waits } = client();
    const refused = url.replace(/:\d+\//, ':9/');
    await expect(http.request({ ...POST, url: refused })).rejects.toThrow(
      /^Token creation failed: POST 127\.0\.0\.1:9\/x: connection refused \(after 3 attempts\)\./
    );
    await http.close();
    expect(waits).toHaveLength(2);
  });

  it('treats a redirect as an error and does not follow it', async () => {
    answers = [{ status: 302, headers: { location: 'https://elsewhere.example/' } }];
    const { http } = client();
    await expect(http.request({ ...GET, url })).rejects.toBeInstanceOf(ActionError);
    await http.close();
    expect(received).toBe(1);
  });
});

describe('how long it waits', () => {
  it.each([
    [0, [250, 500]],
    [1, [500, 1000]]
  ])('backs off exponentially with jitter (random %d)', async (random, expected) => {
    answers = [{ status: 500 }, { status: 500 }, { status: 500 }];
    const { http, waits } = client(3, random);
    await http.request({ ...GET, url });
    await http.close();
    expect(waits).toEqual(expected);
  });

  it('honours Retry-After in seconds', async () => {
    answers = [{ status: 429, headers: { 'retry-after': '7' } }];
    const { http, waits } = client();
    await http.request({ ...POST, url });
    await http.close();
    expect(waits).toEqual([7000]);
  });

  it('does not wait for a Retry-After longer than a minute', async () => {
    answers = [{ status: 503, headers: { 'retry-after': '3600' } }];
    const { http, waits } = client();
    expect((await http.request({ ...POST, url })).status).toBe(503);
    await http.close();
    expect(waits).toEqual([]);
  });

  it('waits out a GitHub rate limit until its reset without using up attempts', async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    answers = [{ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } }, { status: 201 }];
    const { http, waits, logs } = client(1);
    expect((await http.request({ ...GITHUB_PUT, url })).status).toBe(201);
    await http.close();
    expect(waits[0]).toBeGreaterThan(25_000);
    expect(waits[0]).toBeLessThanOrEqual(31_000);
    expect(logs[0]).toMatch(/GitHub API rate limit reached \(HTTP 403\); waiting [\d.]+ s \([\d.]+ s of at most 300 s in this run\)/);
  });

  it('waits out a secondary rate limit given as retry-after', async () => {
    answers = [{ status: 429, headers: { 'retry-after': '60' } }, { status: 204 }];
    const { http, waits } = client(1);
    expect((await http.request({ ...GITHUB_PUT, url })).status).toBe(204);
    await http.close();
    expect(waits).toEqual([60_000]);
  });

  it('gives up when a rate limit would exceed the total wait budget', async () => {
    const retryAfter = String(RATE_LIMIT_BUDGET_MS / 1000 + 1);
    answers = [{ status: 403, headers: { 'retry-after': retryAfter } }];
    const { http } = client();
    await expect(http.request({ ...GITHUB_PUT, url })).rejects.toThrow(
      /GitHub API rate limit is exhausted \(HTTP 403\).*Run again after the reset/
    );
    await http.close();
  });
});
