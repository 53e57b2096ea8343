// SQL over the server's unix socket through the mariadb connector, loaded
// only by the actions that need it (connector.ts). Passwords travel
// over the socket; no client program, nothing on a command line.

import type { OcfContext } from '../framework/agent.js';
import { OCF, OcfError } from '../framework/exit.js';

export type Row = Readonly<Record<string, unknown>>;

export interface Sql {
  query(sql: string, values?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

export interface Login {
  readonly socket: string;
  readonly user: string;
  readonly password: string;
  /** Parameter names to fix when the login is refused, for the reason. */
  readonly params: string;
}

interface DbError {
  errno?: number;
  code?: string | null;
  sqlMessage?: string | null;
  message: string;
}

const ACCESS_DENIED = new Set([1045, 1698]);

/** The server's own message, without the connector's decorations. */
export function dbMessage(e: unknown): string {
  const d = e as DbError;
  return (d.sqlMessage ?? d.message ?? String(e)).replace(/\s*\n[^]*$/, '');
}

export function errnoOf(e: unknown): number | undefined {
  return (e as DbError).errno;
}

export async function connect(login: Login, ctx: OcfContext, connectMs = 10_000): Promise<Sql> {
  const mariadb = await (await import('./connector.js')).loadConnector();
  let conn: Awaited<ReturnType<typeof mariadb.createConnection>>;
  try {
    conn = await mariadb.createConnection({
      socketPath: login.socket,
      user: login.user,
      password: login.password === '' ? undefined : login.password,
      connectTimeout: Math.max(100, Math.min(connectMs, ctx.remaining() - 100)),
      bigIntAsNumber: true,
      decimalAsNumber: true,
      // one statement per call: no multipleStatements, values are escaped by the connector
    });
  } catch (e) {
    if (ACCESS_DENIED.has(errnoOf(e) ?? 0)) {
      throw new OcfError(OCF.ERR_GENERIC, `access denied for user '${login.user}' on socket ${login.socket}: check ${login.params} (${dbMessage(e)})`, { cause: e });
    }
    throw new OcfError(OCF.ERR_GENERIC, `cannot connect to the server on socket ${login.socket} as '${login.user}': ${dbMessage(e)}`, { cause: e });
  }
  // the server may end the session (SHUTDOWN, KILL): a pending query reports that, nothing else must throw
  conn.on('error', (e: unknown) => ctx.log.debug(`connection closed by the server: ${dbMessage(e)}`));
  return {
    async query(sql, values) {
      try {
        const r: unknown = await conn.query(sql, values as unknown[] | undefined);
        return Array.isArray(r) ? (r as Row[]) : [];
      } catch (e) {
        throw new OcfError(OCF.ERR_GENERIC, `${sql.split(' ').slice(0, 4).join(' ')}...: ${dbMessage(e)} (errno ${errnoOf(e) ?? '?'})`, { cause: e });
      }
    },
    async close() {
      await conn.end().catch(() => conn.destroy());
    },
  };
}

/** connect(), run `fn`, always close. */
export async function withSql<T>(login: Login, ctx: OcfContext, fn: (sql: Sql) => Promise<T>, connectMs?: number): Promise<T> {
  const sql = await connect(login, ctx, connectMs);
  try {
    return await fn(sql);
  } finally {
    await sql.close();
  }
}

/**
 * Whether the server answers on its socket: a login that succeeds or that
 * the server refuses (access denied is an answer too).
 */
export async function answers(login: Login, ctx: OcfContext, ms: number): Promise<boolean> {
  try {
    await (await connect(login, ctx, ms)).close();
    return true;
  } catch (e) {
    // server errors are 1000-1999; client and connector errors (refused, no file) are 2000 and up
    const errno = errnoOf(e instanceof Error ? e.cause : undefined) ?? 0;
    return errno >= 1000 && errno < 2000;
  }
}

/** The agent's own login (heartbeat uses replication_user for all local SQL). */
export function agentLogin(p: { socket: string; replication_user: string; replication_passwd: string }): Login {
  return { socket: p.socket, user: p.replication_user, password: p.replication_passwd, params: 'replication_user and replication_passwd' };
}
