/**
 * The parts of the Workers runtime's Durable Object API that qcore uses,
 * written out structurally, so the entry needs neither
 * `@cloudflare/workers-types` nor a `cloudflare:workers` import to type-check
 * (and stays importable under Node). The runtime's own objects satisfy them.
 */

/** A cursor over a SQL statement's rows. */
export interface SqlCursor<Row> extends Iterable<Row> {
  toArray(): Row[];
  one(): Row;
}

/** `ctx.storage.sql`: SQLite inside the object, synchronous. */
export interface SqlStorage {
  exec<Row extends Record<string, SqlValue> = Record<string, SqlValue>>(
    query: string,
    ...bindings: SqlValue[]
  ): SqlCursor<Row>;
}

export type SqlValue = string | number | null | ArrayBuffer;

export interface DurableObjectStorage {
  sql: SqlStorage;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number | Date): Promise<void>;
  deleteAlarm(): Promise<void>;
  /** Runs `callback` as one transaction: all of its writes, or none. */
  transactionSync<T>(callback: () => T): T;
}

/** The `ctx` a Durable Object's constructor gets. */
export interface DurableObjectState {
  readonly storage: DurableObjectStorage;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  /** Keeps the object alive until `promise` settles; absent from older runtimes. */
  waitUntil?(promise: Promise<unknown>): void;
}

export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>;
}

/** A Durable Object namespace binding (`env.AGENT_SESSIONS`). */
export interface DurableObjectNamespace<Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): DurableObjectStub;
}

/** The part of a Worker's `ExecutionContext` the handler uses. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}
