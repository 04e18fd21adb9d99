import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ORTHANC = '/usr/sbin/Orthanc';
const PLUGINS = '/usr/share/orthanc/plugins';

/** Why Orthanc cannot run here, or null when it can (Debian's orthanc + orthanc-dicomweb + orthanc-gdcm, unshare). */
export function orthancUnavailable(): string | null {
  if (!existsSync(ORTHANC)) return 'Orthanc is not installed (apt-get install orthanc orthanc-dicomweb orthanc-gdcm)';
  if (!existsSync(path.join(PLUGINS, 'libOrthancDicomWeb.so'))) return 'the orthanc-dicomweb plugin is not installed';
  try {
    execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  } catch {
    return 'unshare -n is not permitted here (needs root or user namespaces)';
  }
  return null;
}

export interface OrthancOptions {
  /** The product's DICOMweb root as seen from the host (http://127.0.0.1:<port>/dicom-web). */
  productUrl?: string;
  /** API token Orthanc sends as the Basic password. */
  productToken?: string;
}

export interface Orthanc {
  /** REST call into Orthanc (through the relay into its network namespace). */
  call(
    method: string,
    url: string,
    body?: Buffer | string | object,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Buffer }>;
  /** Unix socket that reaches Orthanc's HTTP port (for benchmarks). */
  socketPath: string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's Orthanc with the DICOMweb and GDCM plugins inside its own network namespace (`unshare -n`, loopback
 * only), since Orthanc binds every interface. Unix sockets cross network namespaces, so two relays connect the worlds:
 * the host reaches Orthanc's REST API through `orthanc.sock`, and Orthanc reaches the product at 127.0.0.1:<port>
 * inside its namespace, relayed to the product's real port on the host.
 */
export async function startOrthanc(options: OrthancOptions = {}): Promise<Orthanc> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ich-orthanc-'));
  mkdirSync(path.join(dir, 'db'));
  const orthancSock = path.join(dir, 'orthanc.sock');
  const productSock = path.join(dir, 'product.sock');
  const inner = { orthancHttp: 18042, dicom: 14242, product: 18080 };
  let productRelay: Server | null = null;
  if (options.productUrl) {
    const target = new URL(options.productUrl);
    productRelay = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => productRelay?.listen(productSock, resolve));
  }
  const servers: Record<string, unknown> = {};
  if (options.productUrl) {
    servers['ich'] = {
      Url: `http://127.0.0.1:${inner.product}${new URL(options.productUrl).pathname.replace(/\/?$/, '/')}`,
      Username: 'orthanc',
      Password: options.productToken ?? '',
    };
  }
  writeFileSync(
    path.join(dir, 'orthanc.json'),
    JSON.stringify({
      Name: 'ICH-TEST-PACS',
      StorageDirectory: path.join(dir, 'db'),
      IndexDirectory: path.join(dir, 'db'),
      HttpPort: inner.orthancHttp,
      DicomPort: inner.dicom,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      HttpTimeout: 60,
      StableAge: 1,
      Plugins: [path.join(PLUGINS, 'libOrthancDicomWeb.so'), path.join(PLUGINS, 'libOrthancGdcm.so')],
      DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, Servers: servers },
    }),
  );
  // The relay inside the namespace: orthanc.sock → Orthanc's HTTP port, and 127.0.0.1:<product> → product.sock.
  writeFileSync(
    path.join(dir, 'relay.cjs'),
    `const net = require('node:net');
const pipe = (a, b) => { a.pipe(b).pipe(a); const c = () => { a.destroy(); b.destroy(); }; a.on('error', c); b.on('error', c); };
net.createServer((c) => pipe(c, net.connect(${inner.orthancHttp}, '127.0.0.1'))).listen(${JSON.stringify(orthancSock)});
${options.productUrl ? `net.createServer((c) => pipe(c, net.connect(${JSON.stringify(productSock)}))).listen(${inner.product}, '127.0.0.1');` : ''}
`,
  );
  const script = `ip link set lo up && ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(dir, 'relay.cjs'))} & exec ${ORTHANC} --logdir=${JSON.stringify(dir)} ${JSON.stringify(path.join(dir, 'orthanc.json'))}`;
  const child: ChildProcess = spawn('unshare', ['-n', '--kill-child', 'sh', '-c', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });

  const call: Orthanc['call'] = (method, url, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const payload =
        body === undefined
          ? undefined
          : Buffer.isBuffer(body)
            ? body
            : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      const req = request(
        { socketPath: orthancSock, method, path: url, headers: { host: 'localhost', ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (child.pid) {
            try {
              process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
          resolve();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await new Promise<void>((resolve) => (productRelay ? productRelay.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  };

  const until = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await call('GET', '/system');
      if (r.status === 200) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`Orthanc did not start: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { call, socketPath: orthancSock, stop };
}
