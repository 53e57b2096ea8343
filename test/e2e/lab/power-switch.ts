// The lab's power switch: a unix socket on which virsh-power.sh (palisaded's
// virsh) asks for a domain's node to lose power ("off UUID") or to boot
// ("on UUID"). It answers "ok" once the node is off, or once it is booting.
// Every request is recorded with its time, for the failover timelines.
import { createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import type { Machine } from './machine.js';

export interface PowerEvent {
  readonly at: number;
  readonly action: 'off' | 'on';
  readonly node: string;
  /** What the switch did: cut / booted, or nothing because it already was so. */
  readonly effect: 'cut' | 'already-off' | 'booted' | 'already-on';
}

export class PowerSwitch {
  readonly socketPath: string;
  readonly events: PowerEvent[] = [];
  readonly #byUuid: ReadonlyMap<string, Machine>;
  #server: Server | undefined;

  constructor(socketPath: string, machines: readonly Machine[]) {
    this.socketPath = socketPath;
    this.#byUuid = new Map(machines.map((m) => [m.domain.uuid, m]));
  }

  async listen(): Promise<void> {
    await rm(this.socketPath, { force: true });
    // allowHalfOpen: the client (socat) half-closes after its request and waits for the answer.
    const server = createServer({ allowHalfOpen: true }, (s) => this.#serve(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.#server = server;
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    await rm(this.socketPath, { force: true });
  }

  #serve(sock: Socket): void {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => { /* the client went away; nothing to answer */ });
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const [action, uuid] = buf.slice(0, nl).trim().split(/\s+/);
      buf = '';
      void this.#handle(action, uuid).then(
        (answer) => sock.end(`${answer}\n`),
        (e: unknown) => sock.end(`error ${e instanceof Error ? e.message : String(e)}\n`),
      );
    });
  }

  async #handle(action: string | undefined, uuid: string | undefined): Promise<string> {
    const m = uuid === undefined ? undefined : this.#byUuid.get(uuid);
    if (!m) return `error no node behind domain ${uuid ?? '(none)'}`;
    if (action === 'off') {
      const at = Date.now();
      const was = m.poweredOn;
      await m.powerOff();
      this.events.push({ at, action: 'off', node: m.name, effect: was ? 'cut' : 'already-off' });
      return 'ok';
    }
    if (action === 'on') {
      const at = Date.now();
      const was = m.poweredOn;
      if (!was) await m.powerOn();
      this.events.push({ at, action: 'on', node: m.name, effect: was ? 'already-on' : 'booted' });
      return 'ok';
    }
    return `error unknown action ${action ?? '(none)'}`;
  }
}
