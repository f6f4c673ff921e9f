/**
 * The servers the peers need, on loopback. Redis: by default a private redis-server (AOF on,
 * fsync every second: BullMQ's durable deployment) in a temp dir on a free port, because the
 * machine's Redis on 127.0.0.1:6379 runs with persistence off; `--redis-port 6379` uses that one
 * instead (started with the machine's own command when it does not answer). PostgreSQL: the
 * server on 127.0.0.1:5432 (a database of each peer's own, created and dropped here), started
 * with `pg_ctlcluster` when it does not answer, else a throwaway cluster started for the run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { removeDir, tempDir } from '../../lib/tutti.js';
import { peerImport } from './install.js';

/** A free TCP port on 127.0.0.1. @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** @param {string} cmd */
function version(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
  } catch {
    return null;
  }
}

/**
 * @typedef {{ port: number, dir: string, version: string, aofBytes: () => Promise<number>, stop: () => Promise<void> }} RedisServer
 * @returns {Promise<RedisServer>}
 */
export async function startRedis() {
  const v = version('redis-server', ['--version']);
  if (!v) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const dir = tempDir('tutti-bench-redis-');
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (b) => (err += b));
  // Never outlive the bench (an interrupted run exits without its finally blocks).
  process.once('exit', () => child.kill('SIGTERM'));
  const { default: Redis } = await peerImport('ioredis');
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}: ${err}`);
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (e) {
      if (i > 100) throw new Error(`redis-server on port ${port} did not answer: ${e}`);
      probe.disconnect();
      await delay(50);
    }
  }
  return {
    port,
    dir,
    version: `Redis ${/v=(\S+)/.exec(v)?.[1] ?? v} (appendonly yes, appendfsync everysec)`,
    /** Bytes of the AOF after a rewrite (BGREWRITEAOF): the durable state, like a checkpointed SQLite file. */
    async aofBytes() {
      await probe.bgrewriteaof();
      for (let i = 0; i < 600; i++) {
        const info = await probe.info('persistence');
        if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
        await delay(50);
      }
      const aofDir = join(dir, 'appendonlydir');
      return readdirSync(aofDir).reduce((sum, f) => sum + statSync(join(aofDir, f)).size, 0);
    },
    async flush() {
      await probe.flushall();
    },
    async stop() {
      probe.disconnect();
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      removeDir(dir);
    },
  };
}

/**
 * The Redis already on `port` (127.0.0.1), started with the machine's command when none answers.
 * Its persistence settings are reported, not changed. @param {number} port @returns {Promise<RedisServer>}
 */
export async function useRedis(port) {
  const { default: Redis } = await peerImport('ioredis');
  const connect = async () => {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await c.connect();
      await c.ping();
      return c;
    } catch {
      c.disconnect();
      return null;
    }
  };
  let c = await connect();
  if (!c) {
    execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log'], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !c; i++) {
      await delay(50);
      c = await connect();
    }
    if (!c) throw new Error(`redis-server on 127.0.0.1:${port} did not start`);
  }
  const info = await c.info('server');
  const aof = (await c.config('GET', 'appendonly'))[1];
  const fsync = (await c.config('GET', 'appendfsync'))[1];
  return {
    port,
    dir: '',
    version: `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} on 127.0.0.1:${port} (appendonly ${aof}${aof === 'yes' ? `, appendfsync ${fsync}` : ': no persistence'})`,
    async aofBytes() {
      return 0;
    },
    async flush() {},
    async stop() {
      c.disconnect();
    },
  };
}

/**
 * @typedef {{ host: string, port: number, user: string, version: string, owned: boolean,
 *   createDatabase: (name: string) => Promise<string>, dropDatabase: (name: string) => Promise<void>,
 *   stop: () => Promise<void> }} Postgres
 * @returns {Promise<Postgres>}
 */
export async function ensurePostgres() {
  const { default: pg } = await peerImport('pg');
  /** @param {number} port @param {string} user */
  const tryConnect = async (port, user) => {
    const c = new pg.Client({ host: '127.0.0.1', port, user, database: 'postgres', connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      const r = await c.query('SHOW server_version');
      const s = await c.query("SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc");
      await c.end();
      return `PostgreSQL ${r.rows[0].server_version} (fsync ${s.rows[0].fsync}, synchronous_commit ${s.rows[0].sc})`;
    } catch {
      await c.end().catch(() => {});
      return null;
    }
  };
  let port = 5432;
  let user = 'postgres';
  let owned = null;
  let v = await tryConnect(port, user);
  if (!v) {
    user = 'root';
    v = await tryConnect(port, user);
  }
  if (!v && existsSync('/etc/postgresql')) {
    // The machine's cluster, started as its services document says.
    try {
      const version = readdirSync('/etc/postgresql')[0];
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'ignore' });
      user = 'postgres';
      for (let i = 0; i < 50 && !v; i++) {
        v = await tryConnect(port, user);
        if (!v) await delay(100);
      }
    } catch {
      // fall through to a throwaway cluster
    }
  }
  if (!v) {
    owned = await startCluster();
    port = owned.port;
    user = 'postgres';
    v = await tryConnect(port, user);
    if (!v) throw new Error(`the throwaway PostgreSQL cluster on port ${port} does not answer`);
  }
  const server = await postgresAt({ port, user, version: v });
  return { ...server, owned: owned !== null, stop: async () => owned?.stop() };
}

/**
 * The admin side of a PostgreSQL server that answers on 127.0.0.1:`port` (what a bench child
 * process gets from the parent, which started or found it).
 * @param {{ port: number, user: string, version: string }} at
 * @returns {Promise<Postgres>}
 */
export async function postgresAt({ port, user, version }) {
  const { default: pg } = await peerImport('pg');
  /** @param {string} sql */
  const admin = async (sql) => {
    const c = new pg.Client({ host: '127.0.0.1', port, user, database: 'postgres' });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  return {
    host: '127.0.0.1',
    port,
    user,
    version,
    owned: false,
    async createDatabase(name) {
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin(`CREATE DATABASE "${name}"`);
      return `postgres://${user}@127.0.0.1:${port}/${name}`;
    },
    async dropDatabase(name) {
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
    async stop() {},
  };
}

/** A throwaway cluster as ENVIRONMENT.md describes (initdb as the postgres user, trust auth). */
async function startCluster() {
  const bin = '/usr/lib/postgresql/15/bin';
  if (!existsSync(join(bin, 'initdb'))) throw new Error('no PostgreSQL answers on 127.0.0.1:5432 and no server binaries in /usr/lib/postgresql/15/bin');
  const dir = tempDir('tutti-bench-pg-');
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  mkdirSync(sock, { mode: 0o777 });
  chmodSync(sock, 0o777);
  const port = await freePort();
  const asPg = (cmd, args) => (process.getuid?.() === 0 ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'ignore' }) : execFileSync(join(bin, cmd), args, { stdio: 'ignore' }));
  asPg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  asPg('pg_ctl', ['-D', data, '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${sock}`, '-w', 'start']);
  return {
    port,
    async stop() {
      asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      removeDir(dir);
    },
  };
}
