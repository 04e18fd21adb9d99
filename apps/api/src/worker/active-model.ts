import { AppError } from '@ich/errors';
import { type EngineChoice, type ModelCard, type SelectedEngine, selectEngine } from '@ich/ml/node';
import type { Db, ModelVersionRecord } from '../db/records.js';

export interface LoadedModel {
  version: ModelVersionRecord;
  engine: SelectedEngine['engine'];
  card: ModelCard;
  /** How long loading took (0 when the model was already loaded). */
  loadMs: number;
  /** Call when the job is done with the engine: a replaced engine is disposed once no job uses it. */
  release(): void;
}

interface Held {
  version: ModelVersionRecord;
  engine: SelectedEngine['engine'];
  card: ModelCard;
  users: number;
  retired: boolean;
}

/**
 * The worker's model: loaded once, through the engine order of ICH_ENGINE (onnx first, then tfjs backends for
 * `auto`), and swapped when an admin activates another version. Each job asks for it; the check is one indexed
 * read, and a running job finishes on the model it started with (the replaced engine is disposed when the last job
 * using it releases it).
 */
export class ActiveModel {
  private current: Held | null = null;
  private loading: Promise<Held> | null = null;

  constructor(
    private readonly prisma: Pick<Db, 'modelVersion'>,
    private readonly choice: EngineChoice,
    private readonly log: (line: string) => void = () => {},
  ) {}

  async get(): Promise<LoadedModel> {
    const active = await this.prisma.modelVersion.findFirst({
      where: { active: true },
      orderBy: { createdAt: 'desc' },
    });
    if (!active) throw new AppError('MODEL_NOT_FOUND', 'No model version is active; an admin must activate one.');
    let loadMs = 0;
    if (this.current?.version.id !== active.id) {
      const started = performance.now();
      this.loading ??= this.load(active).finally(() => {
        this.loading = null;
      });
      await this.loading;
      loadMs = performance.now() - started;
    }
    const held = this.current as Held;
    held.users += 1;
    let released = false;
    return {
      version: held.version,
      engine: held.engine,
      card: held.card,
      loadMs,
      release: () => {
        if (released) return;
        released = true;
        held.users -= 1;
        if (held.retired && held.users === 0) void held.engine.dispose();
      },
    };
  }

  private async load(version: ModelVersionRecord): Promise<Held> {
    const started = performance.now();
    const selected = await selectEngine(version.directory, { choice: this.choice });
    if (selected.card.weightsHash !== version.weightsHash) {
      await selected.engine.dispose();
      throw new AppError(
        'BAD_MODEL',
        `${version.name}@${version.version}: the weights in ${version.directory} are not the registered ones (hash ${selected.card.weightsHash}, registered ${version.weightsHash})`,
      );
    }
    const previous = this.current;
    this.current = { version, engine: selected.engine, card: selected.card, users: 0, retired: false };
    const loadMs = performance.now() - started;
    this.log(
      `model ${version.name}@${version.version} loaded on ${selected.engine.name} (${selected.engine.device}) in ${Math.round(loadMs)} ms${previous ? `, replacing ${previous.version.name}@${previous.version.version}` : ''}${selected.skipped.map((s) => `; ${s.kind} unavailable: ${s.reason}`).join('')}`,
    );
    // A job still running on the previous engine keeps it until it releases it.
    if (previous) {
      previous.retired = true;
      if (previous.users === 0) await previous.engine.dispose();
    }
    return this.current;
  }

  async close(): Promise<void> {
    await this.loading?.catch(() => undefined);
    await this.current?.engine.dispose();
    this.current = null;
  }
}
