// One parameter table per agent drives meta-data, OCF_RESKEY_* parsing and
// value checks (as fence-agents' all_opt): each fact lives once.

import { BOOLEAN_HINT, parseBoolean } from '../../../core/booleans.js';
import { OCF, OcfError } from './exit.js';

export interface ParamOpts<T> {
  shortdesc: string;
  longdesc: string;
  required?: boolean;
  unique?: boolean;
  default?: T;
  reloadable?: boolean;
  deprecated?: boolean;
}

export type ParamKind = 'string' | 'integer' | 'boolean' | 'select';

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * A declared parameter. `T` is the parsed type, `V` what handlers receive:
 * `T` when required or defaulted, else `T | undefined`.
 */
export interface ParamSpec<T, V = T | undefined> {
  readonly kind: ParamKind;
  readonly shortdesc: string;
  readonly longdesc: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly reloadable: boolean;
  readonly deprecated: boolean;
  readonly default: T | undefined;
  readonly choices: readonly string[] | undefined;
  parse(raw: string): Parsed<T>;
  format(value: T): string;
  /** Type-level marker only; never set. */
  readonly __value?: V;
}

export type AnyParamSpec = ParamSpec<unknown, unknown>;
export type ParamTable = Readonly<Record<string, AnyParamSpec>>;

/** The typed, frozen object handed to handlers. */
export type ParamValues<P extends ParamTable> = {
  readonly [K in keyof P]: P[K] extends ParamSpec<unknown, infer V> ? V : never;
};

type WithValue<T> = { required: true } | { default: T };
type StringOpts = ParamOpts<string> & { check?: (v: string) => string | undefined };
type IntegerOpts = ParamOpts<number> & { min?: number; max?: number };
type SelectOpts<C extends string> = ParamOpts<C> & { choices: readonly C[] };

function spec<T>(
  kind: ParamKind,
  o: ParamOpts<T>,
  parse: (raw: string) => Parsed<T>,
  choices?: readonly string[],
): ParamSpec<T, T> {
  if (!o.shortdesc || !o.longdesc) throw new TypeError('param: shortdesc and longdesc are required');
  if (o.required && o.default !== undefined) {
    throw new TypeError(`param: a required parameter cannot have a default (shortdesc "${o.shortdesc}")`);
  }
  if (o.default !== undefined) {
    const back = parse(String(o.default));
    if (!back.ok) throw new TypeError(`param "${o.shortdesc}": default ${String(o.default)} is invalid: ${back.problem}`);
  }
  return Object.freeze({
    kind,
    shortdesc: o.shortdesc,
    longdesc: o.longdesc,
    required: o.required ?? false,
    unique: o.unique ?? false,
    reloadable: o.reloadable ?? false,
    deprecated: o.deprecated ?? false,
    default: o.default,
    choices,
    parse,
    format: (v: T) => String(v),
  });
}

function stringParam(o: StringOpts & WithValue<string>): ParamSpec<string, string>;
function stringParam(o: StringOpts): ParamSpec<string, string | undefined>;
function stringParam(o: StringOpts): ParamSpec<string, string | undefined> {
  const check = o.check;
  return spec<string>('string', o, (raw) => {
    const problem = check?.(raw);
    return problem === undefined ? { ok: true, value: raw } : { ok: false, problem };
  });
}

function integerParam(o: IntegerOpts & WithValue<number>): ParamSpec<number, number>;
function integerParam(o: IntegerOpts): ParamSpec<number, number | undefined>;
function integerParam(o: IntegerOpts): ParamSpec<number, number | undefined> {
  const { min, max } = o;
  return spec<number>('integer', o, (raw) => {
    const t = raw.trim();
    const n = Number(t);
    if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(n)) return { ok: false, problem: 'not an integer' };
    if (min !== undefined && n < min) return { ok: false, problem: `must be at least ${min}` };
    if (max !== undefined && n > max) return { ok: false, problem: `must be at most ${max}` };
    return { ok: true, value: n };
  });
}

function booleanParam(o: ParamOpts<boolean> & WithValue<boolean>): ParamSpec<boolean, boolean>;
function booleanParam(o: ParamOpts<boolean>): ParamSpec<boolean, boolean | undefined>;
function booleanParam(o: ParamOpts<boolean>): ParamSpec<boolean, boolean | undefined> {
  return spec<boolean>('boolean', o, (raw) => {
    const b = parseBoolean(raw);
    return b === undefined ? { ok: false, problem: `not a boolean (${BOOLEAN_HINT})` } : { ok: true, value: b };
  });
}

function selectParam<const C extends string>(o: SelectOpts<C> & WithValue<C>): ParamSpec<C, C>;
function selectParam<const C extends string>(o: SelectOpts<C>): ParamSpec<C, C | undefined>;
function selectParam<const C extends string>(o: SelectOpts<C>): ParamSpec<C, C | undefined> {
  if (o.choices.length === 0) throw new TypeError(`param "${o.shortdesc}": select needs at least one choice`);
  const choices: readonly string[] = o.choices;
  return spec<C>(
    'select',
    o,
    (raw) =>
      choices.includes(raw)
        ? { ok: true, value: raw as C }
        : { ok: false, problem: `must be one of ${choices.join(', ')}` },
    o.choices,
  );
}

export const param = {
  string: stringParam,
  integer: integerParam,
  boolean: booleanParam,
  select: selectParam,
} as const;

export interface ParsedParams<P extends ParamTable> {
  values: ParamValues<P>;
  /** Names of required parameters that were not set. */
  missing: readonly string[];
  /** Deprecated parameters that were set. */
  deprecatedSet: readonly string[];
  /**
   * Lenient mode only: invalid values of parameters without a default. A
   * string keeps its raw value, any other kind is left unset, so the caller
   * can still observe with what is known, but must not act on them.
   */
  unchecked: readonly InvalidParam[];
}

export interface InvalidParam {
  readonly name: string;
  readonly raw: string;
  readonly problem: string;
}

/** What lenient parsing put in place of an invalid value. */
export type Fallback = 'default' | 'raw' | 'unset';

/**
 * `lenient` (used by stop): an invalid value falls back to the parameter's
 * default instead of failing; without a default, to its raw string (string
 * parameters) or to unset, listed in `unchecked`. Each is reported through
 * `onInvalid`. A stop that refused to run over, say, `fast_stop=perhaps`
 * would answer "stopped" while the resource is still up, and Pacemaker
 * could start it on a second node.
 */
export interface ParseOptions {
  readonly lenient?: { onInvalid(name: string, raw: string, problem: string, fallback: Fallback): void };
}

/**
 * Reads `OCF_RESKEY_<name>` for every declared parameter. An empty value
 * counts as unset. An invalid value throws OCF_ERR_CONFIGURED naming the
 * parameter and the value; missing required ones are returned, not thrown,
 * so the caller applies its order and policy.
 */
export function parseParams<P extends ParamTable>(
  table: P,
  env: Readonly<Record<string, string | undefined>>,
  options: ParseOptions = {},
): ParsedParams<P> {
  const values: Record<string, unknown> = {};
  const missing: string[] = [];
  const deprecatedSet: string[] = [];
  const unchecked: InvalidParam[] = [];
  for (const [name, p] of Object.entries(table)) {
    const raw = env[`OCF_RESKEY_${name}`];
    if (raw === undefined || raw === '') {
      if (p.required) missing.push(name);
      values[name] = p.default;
      continue;
    }
    if (p.deprecated) deprecatedSet.push(name);
    const r = p.parse(raw);
    if (!r.ok) {
      const lenient = options.lenient;
      if (lenient === undefined) {
        throw new OcfError(OCF.ERR_CONFIGURED, `Invalid value for parameter ${name}: '${raw}': ${r.problem}`);
      }
      const fallback: Fallback = p.default !== undefined ? 'default' : p.kind === 'string' ? 'raw' : 'unset';
      lenient.onInvalid(name, raw, r.problem, fallback);
      values[name] = fallback === 'default' ? p.default : fallback === 'raw' ? raw : undefined;
      if (fallback !== 'default') unchecked.push(Object.freeze({ name, raw, problem: r.problem }));
      continue;
    }
    values[name] = r.value;
  }
  return { values: Object.freeze(values) as ParamValues<P>, missing, deprecatedSet, unchecked };
}
