/**
 * The shape of one chaos seed, drawn from it before anything runs: which transport the
 * replicas use (in-process or the real HTTP server), who they sync as and what each of
 * those users may read and write, which collectives each replica syncs, and whether a
 * custom conflict resolver runs. From the shape follows what each replica must end
 * with in each collective (`viewOf`).
 */
import { collectiveAccess, fullAccess, type Access } from '../../src/server/access.ts';
import type { SeededRandom } from '../../src/testing/seeded-random.ts';
import { COLLECTIVES } from './chaos-ops.ts';

/** What a user may do in one collective. */
export type Rights = 'write' | 'read-only' | 'none';

/** A user the server knows, by bearer token over HTTP. */
export interface ChaosUser {
  readonly name: string;
  readonly token: string;
  /** By collective; a collective not named is `write`. */
  readonly rights: Readonly<Record<string, Rights>>;
}

/** One replica of the seed. */
export interface ReplicaShape {
  /** Who it syncs as; undefined when the seed checks no access. */
  readonly user: ChaosUser | undefined;
  /** `config.collectives`: the collectives it syncs (and writes to); undefined: all. */
  readonly collectives: readonly string[] | undefined;
}

/** Everything about a seed that is not the run itself. */
export interface SeedShape {
  readonly transport: 'memory' | 'http';
  /** Replicas run the custom resolver of `chaos-resolver.ts`. */
  readonly resolver: boolean;
  /** Users, when the server checks access; undefined: in-process callers with full access. */
  readonly users: readonly ChaosUser[] | undefined;
  readonly replicas: readonly ReplicaShape[];
}

/**
 * What a replica must hold of a collective at the end:
 * - `synced`: exactly the server's records;
 * - `read-only`: the server's records, except where its own latest write there (refused) still stands
 *   (where writes merge, the two merged: `chaos-read-only.ts`);
 * - `own`: its own latest writes (all refused; it reads nothing there);
 * - `outside`: nothing (outside its `collectives`).
 */
export type View = 'synced' | 'read-only' | 'own' | 'outside';

/** Overrides of a shape's draws, from the environment. */
export interface ShapeOverrides {
  readonly transport?: SeedShape['transport'];
}

function rightsIn(user: ChaosUser | undefined, collective: string): Rights {
  return user?.rights[collective] ?? 'write';
}

/** Draws the shape of a seed with `replicaCount` replicas. */
export function drawShape(random: SeededRandom, replicaCount: number, overrides: ShapeOverrides = {}): SeedShape {
  const drawnHttp = random.chance(1 / 8);
  const transport = overrides.transport ?? (drawnHttp ? 'http' : 'memory');
  const resolver = random.chance(0.3);
  // Over HTTP the server always authenticates; in-process, some seeds check access.
  const checked = random.chance(0.4) || transport === 'http';
  const users: ChaosUser[] = [];
  const userCount = random.int(1, 3);
  for (let i = 0; i < userCount && checked; i++) {
    const rights: Record<string, Rights> = {};
    // The first user may do everything, so some replica always writes everywhere.
    if (i > 0 && random.chance(0.8)) {
      const refused = random.chance(0.5) ? [random.pick(COLLECTIVES)] : COLLECTIVES.filter(() => random.chance(0.5));
      for (const collective of refused) rights[collective] = random.pick(['read-only', 'none'] as const);
    }
    users.push({ name: `user${i}`, token: `chaos-token-${i}`, rights });
  }
  const replicas: ReplicaShape[] = [];
  for (let i = 0; i < replicaCount; i++) {
    const user = checked ? random.pick(users) : undefined;
    const filtered = random.chance(0.25) ? COLLECTIVES.filter(() => random.chance(0.5)) : [];
    replicas.push({ user, collectives: filtered.length === 0 || filtered.length === COLLECTIVES.length ? undefined : filtered });
  }
  return { transport, resolver, users: checked ? users : undefined, replicas };
}

/** The collectives a replica syncs and writes to. */
export function collectivesOf(replica: ReplicaShape): readonly string[] {
  return replica.collectives ?? COLLECTIVES;
}

/** May the replica's user write `collective`? */
export function mayWrite(replica: ReplicaShape, collective: string): boolean {
  return rightsIn(replica.user, collective) === 'write';
}

/** What the replica must hold of `collective` at the end (see {@link View}). */
export function viewOf(replica: ReplicaShape, collective: string): View {
  if (!collectivesOf(replica).includes(collective)) return 'outside';
  const rights = rightsIn(replica.user, collective);
  return rights === 'write' ? 'synced' : rights === 'none' ? 'own' : 'read-only';
}

/** The server's {@link Access} for a user. */
export function accessOf(user: ChaosUser): Access {
  if (COLLECTIVES.every((collective) => rightsIn(user, collective) === 'write')) return fullAccess(user.name);
  return collectiveAccess(user.name, {
    read: COLLECTIVES.filter((collective) => rightsIn(user, collective) !== 'none'),
    write: COLLECTIVES.filter((collective) => rightsIn(user, collective) === 'write'),
  });
}

/** A one-line summary for a failure message. */
export function describeShape(shape: SeedShape): string {
  const replicas = shape.replicas.map((r, i) => `R${i}${r.user === undefined ? '' : `:${r.user.name}`}${r.collectives === undefined ? '' : `[${r.collectives.join(',')}]`}`);
  const users = (shape.users ?? []).map((u) => `${u.name}{${Object.entries(u.rights).map(([c, r]) => `${c}:${r}`).join(',')}}`);
  return `${shape.transport}${shape.resolver ? ', resolver' : ''}${users.length > 0 ? `, users ${users.join(' ')}` : ''}; ${replicas.join(' ')}`;
}
