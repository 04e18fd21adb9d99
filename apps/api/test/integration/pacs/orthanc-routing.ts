import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ORTHANC = '/usr/sbin/Orthanc';
const PLUGINS = '/usr/share/orthanc/plugins';
/** The shipped configuration (deploy/orthanc): what a hospital installs into /etc/orthanc. */
export const DEPLOY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../deploy/orthanc');

export interface RoutedOrthanc {
  /** REST call into Orthanc's HTTP API. */
  call(method: string, url: string, body?: Buffer | string | object): Promise<{ status: number; body: Buffer }>;
  /** JSON GET into Orthanc's REST API. */
  json<T>(url: string): Promise<T>;
  /** Orthanc's DICOMweb root as the product reaches it (host side, 127.0.0.1:<free port>). */
  dicomWebUrl: string;
  /** Orthanc's DICOM port as the product reaches it (host side). */
  dicomPort: number;
  dicomAet: string;
  /** Counted at the relays in front of Orthanc: STOW-RS requests and DICOM connections that reached it. */
  wire: { stowRequests: number; dicomConnections: number };
  /** Stops Orthanc, keeping its storage (the PACS is down: connections to it fail). */
  down(): Promise<void>;
  /** Starts Orthanc again on the same storage. */
  up(): Promise<void>;
  /** Orthanc's log (its Lua `print`s included). */
  log(): string;
  stop(): Promise<void>;
}

function pipeTo(target: () => Socket, onClient?: (client: Socket) => void): Server {
  return createServer((client) => {
    onClient?.(client);
    const upstream = target();
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.pipe(upstream).pipe(client);
  });
}

async function listen(server: Server, where: string | number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'string') server.listen(where, resolve);
    else server.listen(where, '127.0.0.1', resolve);
  });
}

/**
 * Debian's Orthanc configured by the shipped files in deploy/orthanc (orthanc.json, dicomweb.json with its
 * ${ICH_DICOMWEB_URL} / ${ICH_API_TOKEN} environment variables, ich-forward.lua), inside its own network namespace
 * (`unshare -n`, loopback only). Only what cannot be the production value here is changed: storage in a temporary
 * folder, inner ports, the DICOMweb and GDCM plugins by file, the Lua script next to the config, and no HTTP
 * authentication (the test reaches the REST API through a Unix socket). Relays through Unix sockets connect the
 * namespaces: the product reaches Orthanc's HTTP and DICOM ports at free 127.0.0.1 ports on the host, and Orthanc
 * reaches the product at 127.0.0.1:<inner port>.
 */
export async function startRoutedOrthanc(options: { productDicomWebUrl: string; productToken: string }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-orthanc-routing-'));
  const cfg = path.join(dir, 'cfg');
  mkdirSync(path.join(dir, 'db'), { recursive: true });
  mkdirSync(cfg);
  const sock = {
    http: path.join(dir, 'http.sock'),
    dicom: path.join(dir, 'dicom.sock'),
    product: path.join(dir, 'product.sock'),
  };
  const inner = { http: 18042, dicom: 14242, product: 18080 };

  const shipped = JSON.parse(readFileSync(path.join(DEPLOY_DIR, 'orthanc.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(
    path.join(cfg, 'orthanc.json'),
    JSON.stringify({
      ...shipped,
      StorageDirectory: path.join(dir, 'db'),
      IndexDirectory: path.join(dir, 'db'),
      HttpPort: inner.http,
      DicomPort: inner.dicom,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      StableAge: 1,
      Plugins: [path.join(PLUGINS, 'libOrthancDicomWeb.so'), path.join(PLUGINS, 'libOrthancGdcm.so')],
      LuaScripts: ['ich-forward.lua'],
    }),
  );
  copyFileSync(path.join(DEPLOY_DIR, 'dicomweb.json'), path.join(cfg, 'dicomweb.json'));
  copyFileSync(path.join(DEPLOY_DIR, 'ich-forward.lua'), path.join(cfg, 'ich-forward.lua'));
  const productPath = new URL(options.productDicomWebUrl).pathname.replace(/\/?$/, '/');
  const env = {
    ...process.env,
    ICH_DICOMWEB_URL: `http://127.0.0.1:${inner.product}${productPath}`,
    ICH_API_TOKEN: options.productToken,
  };

  writeFileSync(
    path.join(dir, 'relay.cjs'),
    `const net = require('node:net');
const pipe = (a, b) => { a.pipe(b).pipe(a); const c = () => { a.destroy(); b.destroy(); }; a.on('error', c); b.on('error', c); };
net.createServer((c) => pipe(c, net.connect(${inner.http}, '127.0.0.1'))).listen(${JSON.stringify(sock.http)});
net.createServer((c) => pipe(c, net.connect(${inner.dicom}, '127.0.0.1'))).listen(${JSON.stringify(sock.dicom)});
net.createServer((c) => pipe(c, net.connect(${JSON.stringify(sock.product)}))).listen(${inner.product}, '127.0.0.1');
`,
  );

  // Host side: product.sock → the product; free 127.0.0.1 ports → Orthanc's HTTP and DICOM ports.
  const target = new URL(options.productDicomWebUrl);
  const productRelay = pipeTo(() => connect(Number(target.port), target.hostname));
  await listen(productRelay, sock.product);
  // What reached the PACS on the wire, whatever Orthanc made of it (it stores an instance it has once however
  // often it is sent): STOW-RS requests (their request lines) and DICOM connections (associations).
  const wire = { stowRequests: 0, dicomConnections: 0 };
  const httpRelay = pipeTo(
    () => connect(sock.http),
    (client) =>
      client.on('data', (chunk: Buffer) => {
        wire.stowRequests += chunk.toString('latin1').split('POST /dicom-web/studies').length - 1;
      }),
  );
  await listen(httpRelay, 0);
  const dicomRelay = pipeTo(
    () => connect(sock.dicom),
    () => {
      wire.dicomConnections += 1;
    },
  );
  await listen(dicomRelay, 0);

  let child: ChildProcess | null = null;
  let logText = '';

  const call: RoutedOrthanc['call'] = (method, url, body) =>
    new Promise((resolve, reject) => {
      const payload =
        body === undefined
          ? undefined
          : Buffer.isBuffer(body)
            ? body
            : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      const req = request({ socketPath: sock.http, method, path: url, headers: { host: 'localhost' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(payload);
    });

  const down = async () => {
    const running = child;
    child = null;
    if (!running?.pid || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    try {
      process.kill(-running.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        if (running.pid) process.kill(-running.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
    rmSync(sock.http, { force: true });
    rmSync(sock.dicom, { force: true });
  };

  const up = async () => {
    const script = `ip link set lo up && ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(dir, 'relay.cjs'))} & exec ${ORTHANC} --logdir=${JSON.stringify(dir)} ${JSON.stringify(cfg)}`;
    const started = spawn('unshare', ['-n', '--kill-child', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env,
    });
    child = started;
    const onData = (d: Buffer) => {
      logText += d.toString();
    };
    started.stdout?.on('data', onData);
    started.stderr?.on('data', onData);
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await call('GET', '/system')).status === 200) return;
      } catch {
        // not up yet
      }
      if (started.exitCode !== null || Date.now() > until) {
        await down();
        throw new Error(`Orthanc did not start: ${logText.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
  await up();
  return {
    call,
    json: async <T>(url: string) => {
      const r = await call('GET', url);
      if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.body.toString()}`);
      return JSON.parse(r.body.toString()) as T;
    },
    dicomWebUrl: `http://127.0.0.1:${(httpRelay.address() as AddressInfo).port}/dicom-web`,
    dicomPort: (dicomRelay.address() as AddressInfo).port,
    dicomAet: String(shipped['DicomAet'] ?? 'ORTHANC'),
    wire,
    down,
    up,
    log: () => logText,
    async stop() {
      await down();
      await Promise.all([close(productRelay), close(httpRelay), close(dicomRelay)]);
      rmSync(dir, { recursive: true, force: true });
    },
  } satisfies RoutedOrthanc;
}
