// The depth-10 test file (`testconffile`, resource-agents README.webapps):
//
//   test webapp1
//   url /webapp1_mon
//   match This application is alive
//   client curl
//   client_opts --header 'Host: www.example.com'
//   user admin
//   password secret
//   end
//
// heartbeat always took the first test and ignored `testname`; here the
// named test is used, and a missing one is an error.

export interface WebTest {
  readonly name: string;
  readonly url: string | undefined;
  readonly match: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly client: string | undefined;
  readonly clientOpts: string | undefined;
}

export class TestConfError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'TestConfError';
    this.file = file;
    this.line = line;
  }
}

const KEYS = { url: 'url', match: 'match', user: 'user', password: 'password', client: 'client', client_opts: 'clientOpts' } as const;
type Key = keyof typeof KEYS;

/** The test named `name` (the first one when undefined) from the text of `file`. */
export function readTestConf(text: string, file: string, name: string | undefined): WebTest {
  const lines = text.split(/\r?\n/);
  let found: { name: string; line: number } | undefined;
  const fields: Partial<Record<(typeof KEYS)[Key], string>> = {};
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    const key = t.split(/\s/, 1)[0]!;
    const value = t.slice(key.length).trim();
    if (found === undefined) {
      if (key === 'test' && (name === undefined || value === name)) found = { name: value, line: i + 1 };
      continue;
    }
    if (key === 'end') break;
    if (key === '' || key.startsWith('#')) continue;
    if (!(key in KEYS)) {
      throw new TestConfError(file, i + 1, `unknown keyword '${key}' in test ${found.name} (use url, match, user, password, client, client_opts, end)`);
    }
    fields[KEYS[key as Key]] = value;
  }
  if (found === undefined) {
    throw new TestConfError(file, undefined, name === undefined ? 'no "test <name>" definition found' : `no test named '${name}'`);
  }
  return {
    name: found.name,
    url: fields.url || undefined,
    match: fields.match || undefined,
    user: fields.user || undefined,
    password: fields.password || undefined,
    client: fields.client || undefined,
    clientOpts: fields.clientOpts || undefined,
  };
}
