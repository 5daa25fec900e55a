import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { decidesOnLatestReadingOnly, needsTicks, type Program } from '@sluice/programs';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { ProgramsRepository, type ProgramsSignature } from './programs.repository';

export interface RunnableProgram {
  /** `tenant/id`: the key of its state and of its lock. */
  key: string;
  program: Program;
  /**
   * Only readings of its one device change its state (no ticks, no second device), so the consumer
   * of that device's partition is its state's only writer and may keep the state in memory.
   */
  readingDriven: boolean;
  /**
   * Each reading replaces all its next decision reads (`decidesOnLatestReadingOnly`): a state that
   * moved only in the latest value need not be saved.
   */
  decidesOnLatestReading: boolean;
}

const NONE: readonly RunnableProgram[] = [];

/**
 * The enabled programs of tenants whose kill switch is off, indexed by the devices that feed them
 * and by whether time alone can change them. Reloaded when this replica changes a program and
 * every PROGRAMS_REFRESH_MS when the table's fingerprint moved (changes through other replicas).
 */
@Injectable()
export class ProgramCatalog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ProgramCatalog.name);
  /** tenant → device → programs: looked up per consumed record, without building a key string. */
  private byDevice = new Map<string, Map<string, RunnableProgram[]>>();
  private byKey = new Map<string, RunnableProgram>();
  /** Program key → the stored row's version and timestamps its entry was built from. */
  private revisions = new Map<string, string>();
  private ticking: RunnableProgram[] = [];
  private killed = new Set<string>();
  private signature: ProgramsSignature | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly programs: ProgramsRepository,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      void this.refreshIfChanged().catch((error: unknown) =>
        this.logger.error({ err: error, msg: 'program catalog refresh failed' }),
      );
    }, this.config.PROGRAMS_REFRESH_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  forDevice(tenant: string, device: string): readonly RunnableProgram[] {
    return this.byDevice.get(tenant)?.get(device) ?? NONE;
  }

  get(key: string): RunnableProgram | undefined {
    return this.byKey.get(key);
  }

  /** Programs that need timer ticks (`for`, schedules, cron, windows, staleAfter). */
  tickers(): readonly RunnableProgram[] {
    return this.ticking;
  }

  /** Whether the tenant's kill switch is on (its programs are not run, their commands refused). */
  isKilled(tenant: string): boolean {
    return this.killed.has(tenant);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Reloads now (after a change through this replica, or a kill switch). */
  async refresh(): Promise<void> {
    // one load at a time; a refresh asked for during a load runs after it, so it sees the change
    const previous = this.loading ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.load());
    this.loading = next;
    await next;
  }

  private async refreshIfChanged(): Promise<void> {
    const signature = await this.programs.runnableSignature();
    const known = this.signature;
    if (
      known &&
      known.count === signature.count &&
      known.versionSum === signature.versionSum &&
      known.lastUpdate === signature.lastUpdate
    ) {
      return;
    }
    await this.refresh();
  }

  private async load(): Promise<void> {
    const signature = await this.programs.runnableSignature();
    const rows = await this.programs.listRunnable();
    const killed = new Set(await this.programs.killedTenants());
    const byDevice = new Map<string, Map<string, RunnableProgram[]>>();
    const byKey = new Map<string, RunnableProgram>();
    const ticking: RunnableProgram[] = [];
    const revisions = new Map<string, string>();
    for (const row of rows) {
      const key = `${row.tenant}/${row.id}`;
      // An unchanged row keeps its entry (the same program object): the evaluation's state memory
      // stays valid for it. Any update, enable or re-creation moves updated_at or created_at.
      const revision = `${row.version}/${row.createdAt.getTime()}/${row.updatedAt.getTime()}`;
      revisions.set(key, revision);
      const kept = this.revisions.get(key) === revision ? this.byKey.get(key) : undefined;
      const ticks = needsTicks(kept?.program ?? row.definition);
      const entry: RunnableProgram = kept ?? {
        key,
        program: row.definition,
        readingDriven: !ticks && row.definition.devices.length === 1,
        decidesOnLatestReading: decidesOnLatestReadingOnly(row.definition),
      };
      byKey.set(entry.key, entry);
      let devices = byDevice.get(row.tenant);
      if (devices === undefined) byDevice.set(row.tenant, (devices = new Map()));
      for (const device of entry.program.devices) {
        const list = devices.get(device);
        if (list) list.push(entry);
        else devices.set(device, [entry]);
      }
      if (ticks) ticking.push(entry);
    }
    this.byDevice = byDevice;
    this.byKey = byKey;
    this.revisions = revisions;
    this.ticking = ticking;
    this.killed = killed;
    this.signature = signature;
  }
}
