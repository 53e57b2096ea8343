// What the resource manager tells an agent through the environment
// (resource-agent-api 1.1 "Environment variables"), read once.

import { parseBoolean } from '../../../core/booleans.js';
import { OCF, OcfError } from './exit.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** ocf-tester and Pacemaker's default when the operation has no timeout. */
export const DEFAULT_TIMEOUT_MS = 20_000;

export interface OcfEnv {
  readonly type: string;
  readonly instance: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly interval: number;
  readonly timeoutMs: number;
  readonly exitReasonPrefix: string;
  readonly debug: boolean;
  readonly logFacility: string | undefined;
}

const META = 'OCF_RESKEY_CRM_meta_';

function metaOf(env: Env): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(META) && v !== undefined) meta[k.slice(META.length)] = v;
  }
  return Object.freeze(meta);
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && parseBoolean(v) === true;
}

function msOf(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Never throws: meta-data and usage must work with any environment. */
export function readOcfEnv(env: Env, type: string): OcfEnv {
  const meta = metaOf(env);
  const facility = env.HA_LOGFACILITY;
  return Object.freeze({
    type: env.OCF_RESOURCE_TYPE || type,
    instance: env.OCF_RESOURCE_INSTANCE || 'default',
    meta,
    interval: msOf(meta.interval, 0),
    timeoutMs: msOf(meta.timeout, DEFAULT_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS,
    exitReasonPrefix: env.OCF_EXIT_REASON_PREFIX || 'ocf-exit-reason:',
    debug: truthy(env.HA_debug) || truthy(env.OCF_TRACE_RA) || truthy(env.OCF_RESKEY_trace_ra),
    logFacility: facility === undefined || facility === '' ? undefined : facility,
  });
}

/**
 * OCF_CHECK_LEVEL (or OCF_RESKEY_OCF_CHECK_LEVEL, as ocf-shellfuncs accepts):
 * 0 when unset, OCF_ERR_CONFIGURED when not a non-negative integer.
 */
export function checkLevelOf(env: Env): number {
  const raw = env.OCF_CHECK_LEVEL || env.OCF_RESKEY_OCF_CHECK_LEVEL;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw.trim())) {
    throw new OcfError(OCF.ERR_CONFIGURED, `Invalid OCF_CHECK_LEVEL '${raw}': expected 0, 10, 20...`);
  }
  return Number(raw.trim());
}

/**
 * Pacemaker sets OCF_RA_VERSION_MAJOR and always passes the instance name;
 * ocf-shellfuncs treats that combination without an instance as bad args.
 */
export function checkInstance(env: Env): void {
  if (env.OCF_RA_VERSION_MAJOR && !env.OCF_RESOURCE_INSTANCE) {
    throw new OcfError(OCF.ERR_ARGS, 'OCF_RESOURCE_INSTANCE is not set (OCF_RA_VERSION_MAJOR is)');
  }
}
