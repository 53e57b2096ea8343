/** `host:port`, with an IPv6 host in brackets: for peers in messages, logs and listener descriptions. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
