import { AppError } from '@ich/errors';
import { type EngineChoice, type ModelCard, type SelectedEngine, selectEngine } from '@ich/ml/node';
import type { Db, ModelVersionRecord } from '../db/records.js';

export interface LoadedModel {
  version: ModelVersionRecord;
  engine: SelectedEngine['engine'];
  card: ModelCard;
  /** How long loading took (0 when the model was already loaded). */
  loadMs: number;
}

/**
 * The worker's model: loaded once, through the engine order of ICH_ENGINE (onnx first, then tfjs backends for
 * `auto`), and swapped when an admin activates another version. Each job asks for it; the check is one indexed
 * read, and a swap happens between jobs, so a running job finishes on the model it started with.
 */
export class ActiveModel {
  private current: Omit<LoadedModel, 'loadMs'> | null = null;
  private loading: Promise<LoadedModel> | null = null;

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
    if (this.current?.version.id === active.id) return { ...this.current, loadMs: 0 };
    this.loading ??= this.load(active).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(version: ModelVersionRecord): Promise<LoadedModel> {
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
    this.current = { version, engine: selected.engine, card: selected.card };
    const loadMs = performance.now() - started;
    this.log(
      `model ${version.name}@${version.version} loaded on ${selected.engine.name} (${selected.engine.device}) in ${Math.round(loadMs)} ms${previous ? `, replacing ${previous.version.name}@${previous.version.version}` : ''}`,
    );
    await previous?.engine.dispose();
    return { ...this.current, loadMs };
  }

  async close(): Promise<void> {
    await this.loading?.catch(() => undefined);
    await this.current?.engine.dispose();
    this.current = null;
  }
}
