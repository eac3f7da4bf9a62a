// A forward proxy on 127.0.0.1 that serves made-up hosts from the stand-ins, so the bundled action can be
// run through HTTPS_PROXY / HTTP_PROXY exactly as behind a corporate proxy, without any real network.
//
// It answers CONNECT only for the hosts of its routes and refuses every other tunnel with 403, so nothing
// reaches the real network. For an https route it terminates TLS with a certificate for all the https
// routes' host names (as subject alternative names), signed by a throw-away CA made with the `openssl` CLI
// in a temporary folder that close() deletes; a client trusts it through NODE_EXTRA_CA_CERTS = caFile. An
// http route gets no TLS. Either way each request is replayed over http to the route's stand-in.
//
// Used by the proxy tests (test/e2e/network.test.ts) and by scripts/standins.ts, whose proxy stands in for
// the real GitHub API host in CI. It never logs a header or a body: `log` gets method and path only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface InterceptingProxyOptions {
  /**
   * The URL a client uses → the http stand-in that answers for it, e.g.
   * `{ 'https://api.github.test': github.url, 'http://synkzone.test:8080': synkzone.url }`.
   * The scheme decides TLS, host and port (default 443 / 80) the CONNECT target served. A path is a base
   * path taken off each request before replaying it, as GitHub Enterprise Server's `/api/v3`.
   */
  routes: Record<string, string>;
  /** One line per replayed request (method and path without query) and per refused tunnel. */
  log?: (line: string) => void;
}

export interface InterceptingProxy {
  /** For HTTPS_PROXY / HTTP_PROXY. */
  url: string;
  /** PEM of the CA that signed the certificate of the https routes, for NODE_EXTRA_CA_CERTS; undefined without https routes. */
  caFile: string | undefined;
  /** host:port of every CONNECT asked for, in order, refused ones included. */
  tunnels: string[];
  close(): Promise<void>;
}

interface Route {
  /** What the client asked for, e.g. https://api.github.test/api/v3, for the log. */
  origin: string;
  tls: boolean;
  hostname: string;
  /** '' or a path without trailing slash. */
  basePath: string;
  standin: URL;
}

export async function startInterceptingProxy(options: InterceptingProxyOptions): Promise<InterceptingProxy> {
  const log = options.log ?? (() => undefined);
  const routes = parseRoutes(options.routes);
  const tlsHosts = [...new Set([...routes.values()].filter((route) => route.tls).map((route) => route.hostname))];
  const dir = tlsHosts.length > 0 ? mkdtempSync(path.join(tmpdir(), 'intercepting-proxy-')) : undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const servers: Array<http.Server | https.Server> = [];
  const tunnels: string[] = [];
  const close = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(
      servers.map((server) => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      })
    );
    if (dir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const certificate = dir ? makeCertificates(tlsHosts, dir) : undefined;
    // One server per route, on a port of its own, so the tunnel alone tells which stand-in answers.
    const innerPorts = new Map<string, number>();
    for (const [target, route] of routes) {
      const handler = replay(route, log);
      const server = route.tls && certificate ? https.createServer(certificate, handler) : http.createServer(handler);
      // Kept-alive tunnels stay open for a whole run, as a real server's would.
      server.keepAliveTimeout = 30_000;
      servers.push(server);
      innerPorts.set(target, await listen(server));
    }

    const proxy = http.createServer((_req, res) => {
      res.writeHead(405, { connection: 'close' }).end('This proxy only opens CONNECT tunnels.\n');
    });
    servers.push(proxy);
    proxy.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
      track(client);
      const target = req.url ?? '';
      tunnels.push(target);
      const port = innerPorts.get(target.toLowerCase());
      if (port === undefined) {
        // Anything else would reach the real network: refuse, and say so in the log.
        log(`Proxy refused a tunnel to ${target || '?'} (it serves only ${[...routes.keys()].join(', ')}).`);
        client.on('error', () => client.destroy());
        client.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      const upstream = net.connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      track(upstream);
      const destroyBoth = (): void => {
        client.destroy();
        upstream.destroy();
      };
      for (const socket of [client, upstream]) {
        socket.on('error', destroyBoth);
        socket.on('close', destroyBoth);
      }
    });
    const proxyPort = await listen(proxy);
    return { url: `http://127.0.0.1:${proxyPort}`, caFile: dir && path.join(dir, 'ca.pem'), tunnels, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A NODE_OPTIONS value that makes `names` resolve to 127.0.0.1 in the process it is given to, as a hosts
 * file entry would: for a made-up host that must be reached WITHOUT the proxy (NO_PROXY) yet is not a
 * loopback name, which the action would go to directly anyway. Only dns.lookup is changed.
 */
export function loopbackHostsOption(names: string[]): string {
  const source = [
    "import dns from 'node:dns';",
    `const names = new Set(${JSON.stringify(names.map((name) => name.toLowerCase()))});`,
    'const lookup = dns.lookup;',
    "dns.lookup = (host, ...rest) => lookup(names.has(String(host).toLowerCase()) ? '127.0.0.1' : host, ...rest);"
  ].join('\n');
  return `--import=data:text/javascript,${encodeURIComponent(source)}`;
}

/** `host:port` of each CONNECT target → its route. */
function parseRoutes(routes: Record<string, string>): Map<string, Route> {
  const parsed = new Map<string, Route>();
  for (const [from, to] of Object.entries(routes)) {
    const url = new URL(from);
    const standin = new URL(to);
    if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
      throw new Error(`intercepting proxy: route '${from}' must be an http(s) URL without query, fragment or credentials`);
    }
    if (!/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/.test(url.hostname)) {
      throw new Error(`intercepting proxy: route '${from}' has a host name a certificate cannot carry`);
    }
    if (standin.protocol !== 'http:') throw new Error(`intercepting proxy: stand-in '${to}' must be an http URL`);
    const tls = url.protocol === 'https:';
    const target = `${url.hostname}:${url.port || (tls ? '443' : '80')}`;
    if (parsed.has(target)) throw new Error(`intercepting proxy: two routes for ${target}`);
    parsed.set(target, {
      origin: from.replace(/\/+$/, ''),
      tls,
      hostname: url.hostname,
      basePath: url.pathname.replace(/\/+$/, ''),
      standin
    });
  }
  return parsed;
}

/** Replays each request to the stand-in over http, without the route's base path. */
function replay(route: Route, log: (line: string) => void): http.RequestListener {
  const standinPath = route.standin.pathname.replace(/\/+$/, '');
  return (req, res) => {
    const asked = req.url ?? '/';
    const rest = route.basePath && asked.startsWith(`${route.basePath}/`) ? asked.slice(route.basePath.length) : asked;
    log(`Proxy: ${req.method} ${route.origin}${rest.replace(/\?.*$/, '')}`);
    const upstream = http.request(
      {
        host: route.standin.hostname,
        port: route.standin.port,
        path: `${standinPath}${rest}`,
        method: req.method,
        headers: { ...req.headers, host: route.standin.host }
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      }
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  };
}

/** A throw-away CA (`ca.pem` in dir) and one certificate for all `hosts`, signed by it, valid for two days. */
function makeCertificates(hosts: string[], dir: string): { key: Buffer; cert: Buffer } {
  const file = (name: string): string => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const names = hosts.map((host) => {
    const bare = host.replace(/^\[|\]$/g, '');
    return net.isIP(bare) ? `IP:${bare}` : `DNS:${host}`;
  });
  writeFileSync(
    file('host.ext'),
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${names.join(',')}\n`
  );
  const openssl = (args: string[]): void => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(
        `openssl ${args[0]} failed (${(error as Error).message.split('\n')[0]}); the intercepting proxy needs the openssl CLI`
      );
    }
  };
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=synkzone-scim-token-action stand-in CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  ]);
  openssl(['req', '-new', ...ec, '-keyout', file('host.key'), '-out', file('host.csr'), '-subj', `/CN=${hosts[0]}`]);
  openssl([
    'x509',
    '-req',
    '-in',
    file('host.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-set_serial',
    `0x${Date.now().toString(16)}`,
    '-days',
    '2',
    '-extfile',
    file('host.ext'),
    '-out',
    file('host.pem')
  ]);
  return { key: readFileSync(file('host.key')), cert: readFileSync(file('host.pem')) };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}
