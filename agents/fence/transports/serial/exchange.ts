// fence_virt -D: the serial framing over a tty to the host (a <serial>
// device fence_virtd's serial listener opens on the other side). The port is
// opened locked, so two agents never interleave frames on one line, with
// the line settings of -P (speed, data bits, parity, stop bits; hardware
// flow control as fence_virt sets CRTSCTS). fence_virt also pulses DTR/RTS
// for 300 ms before writing; the listener does not need it, so we do not.
import { statSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { SerialDeviceError, UsageError } from '../../errors.js';
import { parseSerialParams } from '../../values.js';
import { serialExchange } from '../_serial-exchange.js';
import type { CallOptions, FenceCall, FenceReply } from '../types.js';

export interface SerialTarget {
  readonly transport: 'serial';
  /** The tty, e.g. /dev/ttyS1. */
  readonly device: string;
  /** fence_virt's -P: "115200,8N1". */
  readonly params: string;
}

const CLOSE_LIMIT_MS = 1000;

/** serialport's errors carry no errno code, only text: map the ones an operator can act on. */
function openFailure(device: string, e: Error): SerialDeviceError {
  const m = e.message;
  if (/Cannot lock port|Resource temporarily unavailable/i.test(m)) {
    return new SerialDeviceError(device, 'is in use by another process (it holds the lock); wait for it, or find it with fuser', { cause: e });
  }
  if (/Permission denied/i.test(m)) return new SerialDeviceError(device, 'permission denied; run as root or give this user access (group dialout)', { cause: e });
  if (/Inappropriate ioctl|not a typewriter/i.test(m)) return new SerialDeviceError(device, 'is not a serial port (tty)', { cause: e });
  if (/No such file/i.test(m)) return new SerialDeviceError(device, 'does not exist; check serial_device (-D)', { cause: e });
  return new SerialDeviceError(device, `cannot be opened: ${m}`, { cause: e });
}

function checkDevice(device: string): void {
  let st;
  try {
    st = statSync(device);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SerialDeviceError(device, code === 'ENOENT'
      ? "does not exist; check serial_device (-D) and that the guest has the serial port fence_virtd's serial listener uses"
      : `cannot be checked: ${(e as Error).message}`, { cause: e });
  }
  if (!st.isCharacterDevice()) throw new SerialDeviceError(device, 'is not a character device (a serial port)');
}

function open(target: SerialTarget): Promise<SerialPort> {
  const line = parseSerialParams(target.params);
  if (!line) throw new UsageError([`serial_params: '${target.params}' is not SPEED,BITS PARITY STOP like 115200,8N1`]);
  checkDevice(target.device);
  return new Promise((resolve, reject) => {
    const port = new SerialPort({
      path: target.device, baudRate: line.baudRate, dataBits: line.dataBits, parity: line.parity, stopBits: line.stopBits,
      rtscts: true, lock: true, autoOpen: false,
    });
    port.open((err) => (err ? reject(openFailure(target.device, err)) : resolve(port)));
  });
}

function close(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CLOSE_LIMIT_MS);
    port.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function fence(target: SerialTarget, call: FenceCall, opts: CallOptions): Promise<FenceReply> {
  const port = await open(target);
  // Bytes left from an earlier, abandoned exchange would only be scanned past; drop them now.
  await new Promise<void>((resolve) => port.flush(() => resolve()));
  try {
    return await serialExchange(port, target.device, call, {
      timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}),
      timeoutHint: `no answer on ${target.device}: check that fence_virtd's serial listener serves this guest (mode = "serial") and that serial_params (-P) match the line`,
    });
  } finally {
    await close(port);
  }
}

