// The intercepting proxy the proxy tests and scripts/standins.ts rely on, driven by undici's ProxyAgent (what
// the action's EnvHttpProxyAgent uses): it serves only its routes, with a certificate the client can verify,
// strips a base path, keeps one tunnel per kept-alive connection, and logs no header, body or query.
import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ProxyAgent, request } from 'undici';
import { startInterceptingProxy } from './support/intercepting-proxy.js';

interface Seen {
  method: string;
  url: string;
  host: string;
  body: string;
}

/** A stand-in that records each request and answers with its name. */
async function echo(name: string): Promise<{ url: string; seen: Seen[]; server: http.Server }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function setUp(routes: (standins: { a: string; b: string }) => Record<string, string>, log?: (line: string) => void) {
  const a = await echo('a');
  const b = await echo('b');
  const proxy = await startInterceptingProxy({ routes: routes({ a: a.url, b: b.url }), log });
  // connections: 1, as the action sets: without it undici may open a second connection for back-to-back requests.
  const agent = new ProxyAgent({ uri: proxy.url, connections: 1, ...(proxy.caFile && { requestTls: { ca: readFileSync(proxy.caFile) } }) });
  cleanups.push(
    () => agent.close(),
    () => proxy.close(),
    () => new Promise((resolve) => a.server.close(resolve)),
    () => new Promise((resolve) => b.server.close(resolve))
  );
  const get = async (url: string, options: { method?: 'GET' | 'PUT'; headers?: Record<string, string>; body?: string } = {}) => {
    const response = await request(url, {
      dispatcher: agent,
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body
    });
    return { status: response.statusCode, text: await response.body.text() };
  };
  return { a, b, proxy, get };
}

describe('intercepting proxy', () => {
  it('serves each https host from its stand-in under one certificate, one tunnel per connection, base path stripped', async () => {
    const t = await setUp(({ a, b }) => ({ 'https://synkzone.test': a, 'https://ghe.example.test/api/v3': b }));
    expect(await t.get('https://synkzone.test/api/access/logon')).toEqual({ status: 200, text: 'a' });
    expect(await t.get('https://synkzone.test/api/users')).toEqual({ status: 200, text: 'a' });
    expect(await t.get('https://ghe.example.test/api/v3/repos/o/r?per_page=1', { method: 'PUT', body: '{}' })).toEqual({
      status: 200,
      text: 'b'
    });
    expect(t.a.seen.map((r) => r.url)).toEqual(['/api/access/logon', '/api/users']);
    expect(t.b.seen).toEqual([{ method: 'PUT', url: '/repos/o/r?per_page=1', host: new URL(t.b.url).host, body: '{}' }]);
    expect(t.proxy.tunnels).toEqual(['synkzone.test:443', 'ghe.example.test:443']);
  });

  it('tunnels a plain-http host without TLS, and makes no CA then', async () => {
    const t = await setUp(({ a }) => ({ 'http://api.github.test:8080': a }));
    expect(t.proxy.caFile).toBeUndefined();
    expect(await t.get('http://api.github.test:8080/repos/o/r')).toEqual({ status: 200, text: 'a' });
    expect(t.a.seen.map((r) => r.url)).toEqual(['/repos/o/r']);
    expect(t.proxy.tunnels).toEqual(['api.github.test:8080']);
  });

  it('refuses tunnels to any other host or port (recorded), and plain proxied requests', async () => {
    const lines: string[] = [];
    const t = await setUp(
      ({ a }) => ({ 'https://synkzone.test': a }),
      (line) => lines.push(line)
    );
    await expect(t.get('https://example.com/')).rejects.toThrow();
    await expect(t.get('https://synkzone.test:8443/')).rejects.toThrow();
    expect(t.proxy.tunnels).toEqual(['example.com:443', 'synkzone.test:8443']);
    expect(lines).toEqual([
      'Proxy refused a tunnel to example.com:443 (it serves only synkzone.test:443).',
      'Proxy refused a tunnel to synkzone.test:8443 (it serves only synkzone.test:443).'
    ]);
    const plain = await request(`${t.proxy.url}/`, { headers: { host: 'example.com' } });
    expect(plain.statusCode).toBe(405);
    await plain.body.dump();
    expect(t.a.seen).toHaveLength(0);
  });

  it('logs method and path only: no header, body or query', async () => {
    const lines: string[] = [];
    const t = await setUp(
      ({ a }) => ({ 'https://synkzone.test': a }),
      (line) => lines.push(line)
    );
    await t.get('https://synkzone.test/api/tokens?session=QUERY-SECRET', {
      method: 'PUT',
      headers: { authorization: 'HEADER-SECRET' },
      body: 'BODY-SECRET'
    });
    expect(t.a.seen[0]!.body).toBe('BODY-SECRET');
    expect(lines).toEqual(['Proxy: PUT https://synkzone.test/api/tokens']);
  });

  it('deletes its CA folder on close', async () => {
    const t = await setUp(({ a }) => ({ 'https://synkzone.test': a }));
    const folder = path.dirname(t.proxy.caFile!);
    expect(existsSync(t.proxy.caFile!)).toBe(true);
    await t.proxy.close();
    expect(existsSync(folder)).toBe(false);
  });

  it('rejects routes it cannot serve', async () => {
    await expect(startInterceptingProxy({ routes: { 'https://a.test': 'https://127.0.0.1:1' } })).rejects.toThrow(/must be an http URL/);
    await expect(
      startInterceptingProxy({ routes: { 'https://a.test': 'http://127.0.0.1:1', 'https://a.test:443/x': 'http://127.0.0.1:2' } })
    ).rejects.toThrow(/two routes for a\.test:443/);
  });
});
