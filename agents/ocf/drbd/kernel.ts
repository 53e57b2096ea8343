// Which DRBD kernel module this node has: `drbdadm --version` (shell
// assignments, DRBD_KERNEL_VERSION_CODE=0x000000 when none is loaded), else
// `modinfo -F version drbd` for a module that is installed but not loaded.

import type { OcfContext } from '../framework/agent.js';
import { MissingBinaryError, OCF, OcfError } from '../framework/exit.js';

export interface KernelInfo {
  /** 0x090212 for 9.2.18; 0 when no module is available */
  code: number;
  /** the module is loaded (drbdadm --version reports it) */
  loaded: boolean;
}

export const versionCode = (x: number, y: number, z: number): number => (x << 16) | (y << 8) | z;

/** DRBD_KERNEL_VERSION_CODE from `drbdadm --version` output; 0 when absent. Pure. */
export function kernelCodeOf(versionOutput: string): number {
  const m = /^DRBD_KERNEL_VERSION_CODE=0x([0-9a-fA-F]+)$/m.exec(versionOutput);
  return m ? parseInt(m[1]!, 16) : 0;
}

/** `modinfo -F version drbd` output ("9.2.12", "8.4.11-1") to a version code; 0 when none. Pure. */
export function modinfoCodeOf(out: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)/m.exec(out.trim());
  return m ? versionCode(Number(m[1]), Number(m[2]), Number(m[3])) : 0;
}

export function formatCode(code: number): string {
  return `${code >> 16}.${(code >> 8) & 0xff}.${code & 0xff}`;
}

/**
 * Something this node lacks (the kernel module, a readable config): 5, like a
 * missing program, also for probes ("cannot run here"), as drbd.ocf answers.
 */
export class NotInstalledError extends MissingBinaryError {
  constructor(what: string, reason: string) {
    super(what);
    this.message = reason;
  }
}

export async function kernelInfo(ctx: OcfContext, drbdadm: string, version: string | undefined): Promise<KernelInfo> {
  const code = version === undefined ? 0 : kernelCodeOf(version);
  if (code !== 0) return { code, loaded: true };
  const modinfo = ctx.findBinary('modinfo');
  const r = modinfo ? await ctx.run(modinfo, ['-F', 'version', 'drbd'], { timeoutMs: 10_000 }) : undefined;
  const fromModinfo = r && r.exitCode === 0 ? modinfoCodeOf(r.stdout) : 0;
  if (fromModinfo === 0) {
    throw new NotInstalledError(
      'drbd kernel module',
      `DRBD kernel (module) not available? ${drbdadm} --version reports no loaded module and ` +
        `${modinfo ? 'modinfo -F version drbd finds none' : 'modinfo is not installed'}: install the drbd kernel module (e.g. drbd-dkms)`,
    );
  }
  return { code: fromModinfo, loaded: false };
}

/** require_drbd_module_version_ge/_lt (formats are checked by the parameter table). */
export function checkVersionBounds(code: number, ge: string, lt: string): void {
  const c = (v: string) => {
    const [x, y, z] = v.split('.').map(Number);
    return versionCode(x!, y!, z!);
  };
  if (code < c(ge)) throw new OcfError(OCF.ERR_INSTALLED, `required DRBD kernel (module) version >= ${ge}, but found ${formatCode(code)} (require_drbd_module_version_ge)`);
  if (code >= c(lt)) throw new OcfError(OCF.ERR_INSTALLED, `required DRBD kernel (module) version < ${lt}, but found ${formatCode(code)} (require_drbd_module_version_lt)`);
}
