// Typed virsh commands over one session, with output parsing. Domains are
// addressed by UUID only: virsh resolves a --domain argument as an ID
// first, so a domain named "2" could resolve to the domain whose ID is 2.
// Names are matched in list output instead (see backend.ts).
import { BackendError } from '../../errors.js';
import { DomainState, type DomainStateValue } from '../types.js';
import type { VirshCommand } from './command-line.js';
import type { CommandOutput, VirshSession } from './virsh-session.js';

export interface DomainRef {
  readonly uuid: string;
  readonly name: string;
}

/** `virsh domstate` words (virshDomainStateToString, LC_ALL=C) to virDomainState. */
const STATE_WORDS: ReadonlyMap<string, DomainStateValue> = new Map([
  ['no state', DomainState.NOSTATE],
  ['running', DomainState.RUNNING],
  ['idle', DomainState.BLOCKED],
  ['paused', DomainState.PAUSED],
  ['in shutdown', DomainState.SHUTDOWN],
  ['shut off', DomainState.SHUTOFF],
  ['crashed', DomainState.CRASHED],
  ['pmsuspended', DomainState.PMSUSPENDED],
]);

const UUID_LINE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) (.+)$/;

export class Virsh {
  readonly session: VirshSession;
  /** Name -> UUID from the last listing: a guess that identify() confirms before use. */
  #uuidByName = new Map<string, string>();

  constructor(session: VirshSession) {
    this.session = session;
  }

  get uri(): string {
    return this.session.uri;
  }

  /** Every domain, active and inactive (`list --all --uuid --name`). */
  async listAll(signal?: AbortSignal): Promise<DomainRef[]> {
    const [out] = await this.session.run([{ verb: 'list', flags: ['--all', '--uuid', '--name'] }], signal);
    const refs = parseList(this.#ok(out!), this.#context(out!));
    this.#uuidByName = new Map(refs.map((r) => [r.name, r.uuid]));
    return refs;
  }

  /** The UUID the last listAll() gave for this name, if any. */
  cachedUuid(name: string): string | undefined {
    return this.#uuidByName.get(name);
  }

  /**
   * Name and state of the domain with this UUID, in one round trip; undefined
   * when the lookup fails. Only a hit is conclusive: a miss may also be a
   * connection problem, so callers confirm misses with listAll().
   */
  async identify(uuid: string, signal?: AbortSignal): Promise<{ name: string; state: DomainStateValue } | undefined> {
    const [name, state] = await this.session.run([byUuid('domname', uuid), byUuid('domstate', uuid)], signal);
    if (name!.failed || state!.failed) return undefined;
    return { name: name!.stdout.replace(/\n+$/, ''), state: parseState(state!.stdout, this.#context(state!)) };
  }

  /** State of each domain; undefined for one that no longer exists. One round trip. */
  async domStates(uuids: readonly string[], signal?: AbortSignal): Promise<(DomainStateValue | undefined)[]> {
    const outs = await this.session.run(uuids.map((u) => byUuid('domstate', u)), signal);
    return outs.map((out) => (this.#gone(out) ? undefined : parseState(this.#ok(out), this.#context(out))));
  }

  async domState(uuid: string, signal?: AbortSignal): Promise<DomainStateValue | undefined> {
    const [state] = await this.domStates([uuid], signal);
    return state;
  }

  /** Whether the domain has a persistent definition; undefined if it no longer exists. */
  async isPersistent(uuid: string, signal?: AbortSignal): Promise<boolean | undefined> {
    const [out] = await this.session.run([byUuid('dominfo', uuid)], signal);
    if (this.#gone(out!)) return undefined;
    const m = /^Persistent:\s+(yes|no)\s*$/m.exec(this.#ok(out!));
    if (!m) throw this.#unparsable(out!, 'no "Persistent: yes|no" line');
    return m[1] === 'yes';
  }

  /** The live domain XML (to re-create a transient domain after destroy). */
  async dumpXml(uuid: string, signal?: AbortSignal): Promise<string> {
    const [out] = await this.session.run([byUuid('dumpxml', uuid)], signal);
    const xml = this.#ok(out!).trim();
    if (!xml.startsWith('<domain')) throw this.#unparsable(out!, 'expected a <domain> document');
    return xml;
  }

  async destroy(uuid: string, signal?: AbortSignal): Promise<void> {
    const [out] = await this.session.run([byUuid('destroy', uuid)], signal);
    this.#ok(out!);
  }

  async start(uuid: string, signal?: AbortSignal): Promise<void> {
    const [out] = await this.session.run([byUuid('start', uuid)], signal);
    this.#ok(out!);
  }

  /** `create --file PATH`: start a transient domain from XML. */
  async create(xmlPath: string, signal?: AbortSignal): Promise<void> {
    const [out] = await this.session.run([{ verb: 'create', options: [['--file', xmlPath]] }], signal);
    this.#ok(out!);
  }

  close(): Promise<void> {
    return this.session.close();
  }

  /** Lookup by UUID failed: the domain was undefined since we listed it. */
  #gone(out: CommandOutput): boolean {
    return out.failed && /^error: failed to get domain '/m.test(out.stderr);
  }

  #ok(out: CommandOutput): string {
    if (out.failed) {
      const errors = out.stderr
        .split('\n')
        .filter((l) => l.startsWith('error: '))
        .map((l) => l.slice('error: '.length).trim());
      throw new BackendError(`${this.session.peer}: ${out.command}: ${errors.join('; ')}`, {
        command: `${this.session.peer} ${out.command}`,
        stderr: out.stderr,
      });
    }
    return out.stdout;
  }

  #context(out: CommandOutput): string {
    return `${this.session.peer} ${out.command}`;
  }

  #unparsable(out: CommandOutput, why: string): BackendError {
    return new BackendError(`${this.#context(out)}: unexpected output (${why}): ${JSON.stringify(out.stdout.slice(0, 200))}`, {
      command: this.#context(out),
      stderr: out.stderr,
    });
  }
}

function byUuid(verb: string, uuid: string): VirshCommand {
  return { verb, options: [['--domain', uuid]] };
}

/** `UUID NAME` per line; anything else is an error, never skipped. */
export function parseList(stdout: string, command: string): DomainRef[] {
  const refs: DomainRef[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const m = UUID_LINE.exec(line);
    if (!m) {
      throw new BackendError(`${command}: unexpected line ${JSON.stringify(line.slice(0, 200))} (expected "UUID NAME")`, {
        command,
      });
    }
    refs.push({ uuid: m[1]!, name: m[2]! });
  }
  return refs;
}

/** One `domstate` word. Unknown output is an error, never "off". */
export function parseState(stdout: string, command: string): DomainStateValue {
  const word = stdout.trim();
  const state = STATE_WORDS.get(word);
  if (state === undefined) {
    throw new BackendError(`${command}: unknown domain state ${JSON.stringify(word.slice(0, 200))}`, { command });
  }
  return state;
}
