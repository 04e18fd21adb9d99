import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AppError } from '@ich/errors';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

/**
 * Prisma's schema engine compiled to WebAssembly, driven through a driver adapter. It is the same engine build as
 * the 7.10 CLI's native binary (so `_prisma_migrations` rows, checksums and generated SQL are identical), but it
 * needs no download and no binary for this platform.
 */
let engineClass: Promise<typeof SchemaEngine> | undefined;

// The ES2023 lib without DOM types declares no WebAssembly values; this is the part used here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, object>) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function loadEngineClass(): Promise<typeof SchemaEngine> {
  // wasm-bindgen keeps module-level state: instantiate once per process, create engines from it as needed.
  engineClass ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = join(dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    // The package's own entry imports the .wasm as an ES module, which Node 20 cannot do without a flag; this is
    // the same plumbing Prisma's CLI uses: instantiate by hand and hand the exports to the bindings.
    const module = new wasm.Module(await readFile(wasmPath));
    const instance = new wasm.Instance(module, { './schema_engine_bg.js': bindings });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bindings.SchemaEngine;
  })();
  return engineClass;
}

export interface OpenEngine {
  /** Runs one engine command; engine and driver failures become MIGRATION_FAILED naming the command. */
  run<T>(command: string, call: (engine: SchemaEngine) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openEngine(factory: SqlMigrationAwareDriverAdapterFactory): Promise<OpenEngine> {
  const opened: SqlDriverAdapter[] = [];
  // The engine connects to the main database through this factory; keep the connections to close them ourselves
  // (freeing the engine does not end a pg pool, which would keep the process alive).
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect();
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
  const bound = bindMigrationAwareSqlAdapterFactory(tracking);
  const explain = (command: string, error: unknown): AppError => {
    const message = error instanceof Error ? error.message : String(error);
    // Driver errors cross the Wasm boundary as "External error id#N"; the registry holds the original.
    const id = /External error id#(\d+)/.exec(message)?.[1];
    const original = id === undefined ? undefined : bound.errorRegistry.consumeError(Number(id))?.error;
    const engineCode = (error as { code?: unknown } | null)?.code;
    const summary = firstLines(message);
    const cause = original instanceof Error ? `: ${original.message}` : '';
    return new AppError(
      'MIGRATION_FAILED',
      `${command}: ${summary}${cause}`,
      typeof engineCode === 'string' ? { engineCode } : undefined,
      { cause: error },
    );
  };
  const Engine = await loadEngineClass();
  let engine: SchemaEngine;
  try {
    engine = await Engine.new({ datamodels: undefined }, () => undefined, bound);
  } catch (error) {
    await disposeAll(opened);
    throw explain('connect', error);
  }
  return {
    async run(command, call) {
      try {
        return await call(engine);
      } catch (error) {
        throw explain(command, error);
      }
    },
    async close() {
      engine.free();
      await disposeAll(opened);
    },
  };
}

async function disposeAll(adapters: SqlDriverAdapter[]): Promise<void> {
  for (const adapter of adapters.splice(0)) await adapter.dispose().catch(() => undefined);
}

/** Engine messages carry a Rust span trace after the human part; keep the human part. */
function firstLines(message: string): string {
  const human = message.split(/\n\s*0: /)[0] ?? message;
  return human.replace(/\s+/g, ' ').trim();
}
