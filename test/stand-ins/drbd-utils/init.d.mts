// Types for init.mjs (the stand-in's set-up, shared by tests and bench).
export function confText(dir: string, allowTwoPrimaries: boolean): string;
export function initStandIn(dir: string, o?: { kernel?: string; module?: 'loaded' | 'available' | 'missing'; allowTwoPrimaries?: boolean }): { conf: string };
