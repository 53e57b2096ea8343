// Checks shared by the descriptors' targetProblems: each returns the
// problems of one field, as `field: what`.
import { ipVersion } from '../ip-literal.js';

export function portProblems(value: unknown, what: string): string[] {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535 ? [] : [`port: ${String(value)} is not a ${what} port`];
}

export function requiredText(field: string, value: unknown, what: string): string[] {
  return typeof value === 'string' && value !== '' ? [] : [`${field}: ${what} is required`];
}

export function ipLiteralProblems(field: string, value: unknown, what: string): string[] {
  return typeof value === 'string' && ipVersion(value) !== 0 ? [] : [`${field}: '${String(value)}' is not ${what}`];
}
