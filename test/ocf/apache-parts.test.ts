// The apache agent's building blocks without a running httpd: the config
// reader (Include/IncludeOptional, ServerRoot, ${VAR}, <IfDefine>), option
// splitting, testconffile, grep patterns, envfiles, and the HTTP check
// against a local Node server.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApacheConfigError, parseListen, readApacheConfig, type ReadOptions } from '../../agents/ocf/apache/config.js';
import { parseEnvDump, readableEnvFiles, sourceEnvFiles } from '../../agents/ocf/apache/envfiles.js';
import { grepRegex } from '../../agents/ocf/apache/grep-regex.js';
import { checkAnswers, checkPage, fetchPage, HttpCheckError } from '../../agents/ocf/apache/http-check.js';
import { MalformedAnswer, parseAnswer } from '../../agents/ocf/apache/http10.js';
import { expandInclude, segmentPattern } from '../../agents/ocf/apache/include-glob.js';
import { absoluteUrl, baseUrlOf } from '../../agents/ocf/apache/instance.js';
import { readTestConf, TestConfError } from '../../agents/ocf/apache/testconf.js';
import { splitWords } from '../../agents/ocf/apache/words.js';
import { run } from '../../agents/ocf/framework/exec.js';
import { OcfError } from '../../agents/ocf/framework/exit.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pal-apache-parts-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

function opts(o: Partial<ReadOptions> & { vars?: Record<string, string> } = {}): ReadOptions & { envCalls: number } {
  const r = {
    defines: o.defines ?? ['STATUS'],
    serverRoot: o.serverRoot,
    before: o.before,
    after: o.after,
    envCalls: 0,
    async env() {
      r.envCalls++;
      return o.vars ?? {};
    },
    defaultServerRoot: o.defaultServerRoot ?? (async () => '/compiled/root'),
  };
  return r;
}

async function configError(p: Promise<unknown>): Promise<ApacheConfigError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApacheConfigError);
    return e as ApacheConfigError;
  }
  throw new Error('expected an ApacheConfigError');
}

describe('config reader', () => {
  it('reads PidFile, Listen and the server-status Location through Include, IncludeOptional and ServerRoot', async () => {
    const root = join(dir, 'r1');
    file('r1/conf.d/10-listen.conf', 'Listen 127.0.0.1:8081\nListen 8443 https\n');
    file('r1/conf.d/20-status.conf', '<IfModule mod_status.c>\n  <Location "/srv-stat">\n    SetHandler server-status\n  </Location>\n</IfModule>\n');
    file('r1/conf.d/.hidden.conf', 'Listen 9999\n');
    file('r1/mods/a/status.load', '<Location /other>\nSetHandler Server-Status\n</Location>\n');
    const main = file(
      'r1/httpd.conf',
      [
        `ServerRoot "${root}"`,
        '# PidFile /wrong/comment.pid',
        'Include conf.d/*.conf',
        'IncludeOptional nothing/*.conf',
        'IncludeOptional /does/not/exist.conf',
        'Include mods',
        'PidFile run/first.pid',
        'PidFile \\',
        '   run/httpd.pid',
        '<Location /not-status>',
        '  SetHandler default-handler',
        '</Location>',
        '<Location ~ "/regex-status">',
        '  SetHandler server-status',
        '</Location>',
      ].join('\n'),
    );
    const c = await readApacheConfig(main, opts());
    expect(c.pidFile).toBe(join(root, 'run/httpd.pid'));
    expect(c.listen).toEqual([
      { host: '127.0.0.1', port: 8081, protocol: undefined },
      { host: undefined, port: 8443, protocol: 'https' },
    ]);
    expect(c.statusLocations).toEqual(['/srv-stat', '/other']);
    expect(c.files).toEqual([main, join(root, 'conf.d/10-listen.conf'), join(root, 'conf.d/20-status.conf'), join(root, 'mods/a/status.load')]);
  });

  it('evaluates <IfDefine> against -D names and Define, and expands ${VAR} from Define, then the environment', async () => {
    const main = file(
      'defs.conf',
      [
        'Define RUN /var/run/x',
        '<IfDefine STATUS>',
        '  <IfDefine !NOPE>',
        '    Listen ${HOST}:81',
        '  </IfDefine>',
        '</IfDefine>',
        '<IfDefine !STATUS>',
        '  Listen 99',
        '  PidFile ${UNDEFINED_BUT_SKIPPED}',
        '</IfDefine>',
        '<IfDefine EXTRA>',
        '  PidFile ${RUN}/extra.pid',
        '</IfDefine>',
        'ErrorLog ${NOT_READ_DIRECTIVE}/e.log',
      ].join('\n'),
    );
    const o = opts({ vars: { HOST: '127.0.0.2' } });
    const c = await readApacheConfig(main, o);
    expect(c.listen).toEqual([{ host: '127.0.0.2', port: 81, protocol: undefined }]);
    expect(c.pidFile).toBeUndefined();
    expect(o.envCalls).toBe(1);
    const withExtra = await readApacheConfig(main, opts({ defines: ['STATUS', 'EXTRA'], vars: { HOST: 'h' } }));
    expect(withExtra.pidFile).toBe('/var/run/x/extra.pid');
  });

  it('asks for the environment only when a read directive uses ${VAR}, but lists every variable used', async () => {
    const o = opts();
    const c = await readApacheConfig(file('plain.conf', 'Listen 80\nErrorLog ${APACHE_LOG_DIR}/error.log\n<IfDefine NO>\nMutex ${SKIPPED}\n</IfDefine>\n'), o);
    expect(o.envCalls).toBe(0);
    expect([...c.variables]).toEqual(['APACHE_LOG_DIR']);
  });

  it('applies -C before and -c after the file, and -d as the starting ServerRoot', async () => {
    const main = file('cmd.conf', 'PidFile rel.pid\n');
    const c = await readApacheConfig(main, opts({ serverRoot: '/srv/www', after: ['Listen 127.0.0.1:8088'], before: ['Listen 8087'] }));
    expect(c.pidFile).toBe('/srv/www/rel.pid');
    expect(c.listen.map((l) => l.port)).toEqual([8087, 8088]);
  });

  it('resolves a relative path before any ServerRoot against the compiled-in root, asked lazily', async () => {
    let asked = 0;
    const c = await readApacheConfig(file('noroot.conf', 'PidFile logs/httpd.pid\n'), opts({ defaultServerRoot: async () => (asked++, '/etc/apache2') }));
    expect(c.pidFile).toBe('/etc/apache2/logs/httpd.pid');
    expect(asked).toBe(1);
    await readApacheConfig(file('absonly.conf', 'PidFile /run/x.pid\n'), opts({ defaultServerRoot: async () => (asked++, '/x') }));
    expect(asked).toBe(1);
  });

  it('names file and line: missing Include, unbalanced sections, undefined variables, bad Listen', async () => {
    const missing = await configError(readApacheConfig(file('e1.conf', 'Listen 80\nInclude /nonexistent/dir/*.conf\n'), opts()));
    expect(missing.problem).toBe('include');
    expect(missing.message).toMatch(/e1\.conf:2: Include \/nonexistent\/dir\/\*\.conf: no file matches/);

    const unclosed = await configError(readApacheConfig(file('e2.conf', 'Listen 80\n<IfDefine STATUS>\nListen 81\n'), opts()));
    expect(unclosed.message).toMatch(/e2\.conf:2: <IfDefine> is not closed/);

    const stray = await configError(readApacheConfig(file('e3.conf', '<Location />\n</Directory>\n'), opts()));
    expect(stray.message).toMatch(/e3\.conf:2: <\/directory> without matching/);

    const undef = await configError(readApacheConfig(file('e4.conf', 'PidFile ${NOPE}/httpd.pid\n'), opts()));
    expect(undef.problem).toBe('variable');
    expect(undef.message).toMatch(/e4\.conf:1: \$\{NOPE\} is not defined/);

    const badListen = await configError(readApacheConfig(file('e5.conf', '\n\nListen not-a-port\n'), opts()));
    expect(badListen.message).toMatch(/e5\.conf:3: Listen 'not-a-port'/);

    const absent = await configError(readApacheConfig(join(dir, 'absent.conf'), opts()));
    expect(absent.problem).toBe('missing');
  });

  it('stops an Include loop', async () => {
    const loop = file('loop.conf', `Include ${join(dir, 'loop.conf')}\n`);
    const e = await configError(readApacheConfig(loop, opts()));
    expect(e.problem).toBe('include');
    expect(e.message).toMatch(/nested includes/);
  });

  it('parses Listen forms', () => {
    expect(parseListen('[::1]:8080')).toEqual({ host: '::1', port: 8080, protocol: undefined });
    expect(parseListen('0.0.0.0:80 http')).toEqual({ host: '0.0.0.0', port: 80, protocol: 'http' });
    expect(parseListen('80')).toEqual({ host: undefined, port: 80, protocol: undefined });
    expect(parseListen('70000')).toBeUndefined();
    expect(parseListen('')).toBeUndefined();
  });

  it('expands include wildcards in directory parts and fnmatch classes', () => {
    file('g/a1/x.conf', '');
    file('g/a2/x.conf', '');
    file('g/b1/x.conf', '');
    expect(expandInclude(join(dir, 'g/a*/x.conf'))).toEqual({ ok: true, files: [join(dir, 'g/a1/x.conf'), join(dir, 'g/a2/x.conf')] });
    expect(segmentPattern('[!a]?.conf').test('b1.conf')).toBe(true);
    expect(segmentPattern('[!a]?.conf').test('a1.conf')).toBe(false);
    expect(expandInclude(join(dir, 'g/z*/x.conf')).ok).toBe(false);
  });
});

describe('status URL', () => {
  const cfg = (listen: string[], port?: number) => ({
    pidFile: undefined,
    listen: listen.map((l) => parseListen(l)!),
    port,
    statusLocations: [],
    files: [],
    variables: new Set<string>(),
  });
  it('builds the base URL as heartbeat buildlocalurl does, with wildcard and IPv6 hosts made local', () => {
    expect(baseUrlOf(cfg(['127.0.0.1:8081']), undefined)).toBe('http://127.0.0.1:8081');
    expect(baseUrlOf(cfg(['8081']), undefined)).toBe('http://localhost:8081');
    expect(baseUrlOf(cfg(['0.0.0.0:80']), undefined)).toBe('http://localhost:80');
    expect(baseUrlOf(cfg(['[::]:80']), undefined)).toBe('http://[::1]:80');
    expect(baseUrlOf(cfg(['[2001:db8::1]:80']), undefined)).toBe('http://[2001:db8::1]:80');
    expect(baseUrlOf(cfg(['443']), undefined)).toBe('https://localhost:443');
    expect(baseUrlOf(cfg([]), 8080)).toBe('http://localhost:8080');
    expect(baseUrlOf(cfg([], 81), undefined)).toBe('http://localhost:81');
    expect(baseUrlOf(cfg([]), undefined)).toBe('http://localhost:80');
    expect(absoluteUrl('/mon', 'http://127.0.0.1:81')).toBe('http://127.0.0.1:81/mon');
    expect(absoluteUrl('http://x/mon', 'http://127.0.0.1:81')).toBe('http://x/mon');
  });
});

describe('option words', () => {
  it('splits like a shell without expansion', () => {
    expect(splitWords(`-DSSL -c "PidFile /run/a b.pid" -C 'Define X y'  a\\ b`)).toEqual({
      ok: true,
      words: ['-DSSL', '-c', 'PidFile /run/a b.pid', '-C', 'Define X y', 'a b'],
    });
    expect(splitWords('')).toEqual({ ok: true, words: [] });
    expect(splitWords('-c "unterminated')).toEqual({ ok: false, problem: 'unterminated " quote at character 4' });
  });
});

describe('testconffile', () => {
  const text = `# monitoring
test a1
url /a1
match alive
client curl
client_opts --header 'Host: a1.example'
end
test b1
user u
password p
url http://127.0.0.1:81/b1
match b1 ok
end
`;
  it('picks the first test, or the named one', () => {
    expect(readTestConf(text, 'web.cf', undefined)).toMatchObject({ name: 'a1', url: '/a1', match: 'alive', client: 'curl', clientOpts: "--header 'Host: a1.example'" });
    expect(readTestConf(text, 'web.cf', 'b1')).toMatchObject({ name: 'b1', user: 'u', password: 'p', match: 'b1 ok' });
  });
  it('refuses an unknown keyword with its line, and a missing test', () => {
    expect(() => readTestConf('test x\nurl /\nmatchh y\nend\n', 'web.cf', undefined)).toThrow(/web\.cf:3: unknown keyword 'matchh'/);
    expect(() => readTestConf(text, 'web.cf', 'c1')).toThrow(TestConfError);
  });
});

describe('grep patterns', () => {
  it('reads testregex as grep -Ei would', () => {
    const re = grepRegex('</ *html *>') as RegExp;
    expect(re.test('<p>x</p>\n</HTML >\n')).toBe(true);
    expect((grepRegex('^Total[[:space:]]+accesses') as RegExp).test('x\nTotal   Accesses: 1')).toBe(true);
    expect((grepRegex('\\<up\\>') as RegExp).test('server is up.')).toBe(true);
    expect(grepRegex('(')).toMatch(/not a valid regular expression/);
  });
});

describe('envfiles', () => {
  it('sources shell files with their logic and returns the exported result', async () => {
    const a = file('env/a', 'export A_ONE=1\nunset HOME\nif [ "$APACHE_CONFDIR" = /etc/apache2-x ]; then SUFFIX=-x; fi\nexport RUN=/run/apache2$SUFFIX\nlocal_only=1\n');
    const b = file('env/b', 'export B_TWO="two words"\n');
    const files = readableEnvFiles(`${a} ${join(dir, 'env/missing')}  ${b}`);
    expect(files).toEqual({ use: [a, b], skipped: [join(dir, 'env/missing')] });
    const deadline = { signal: new AbortController().signal, remaining: () => 10_000 };
    const runner = (f: string, args: readonly string[], o?: Parameters<typeof run>[2]) => run(f, args, o ?? {}, deadline, {});
    const env = await sourceEnvFiles(files.use, { HOME: '/root', APACHE_CONFDIR: '/etc/apache2-x', PATH: process.env.PATH }, runner);
    expect(env).toMatchObject({ A_ONE: '1', B_TWO: 'two words', RUN: '/run/apache2-x', APACHE_CONFDIR: '/etc/apache2-x' });
    expect(env.HOME).toBeUndefined();
    expect(env.local_only).toBeUndefined();
    expect(env.LC_ALL).toBeUndefined();
  });

  it('reports a file that does not parse as OCF_ERR_CONFIGURED with sh\'s message', async () => {
    const bad = file('env/bad', 'export X=1\nif then fi\n');
    const deadline = { signal: new AbortController().signal, remaining: () => 10_000 };
    const runner = (f: string, args: readonly string[], o?: Parameters<typeof run>[2]) => run(f, args, o ?? {}, deadline, {});
    const e = await sourceEnvFiles([bad], { PATH: process.env.PATH }, runner).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OcfError);
    expect((e as OcfError).exitCode).toBe(6);
    // dash's own message names the line and the file
    expect((e as OcfError).message).toBe(`envfiles ${bad} could not be sourced: sh: 2: ${bad}: Syntax error: "then" unexpected`);
  });

  it('parses env -0 output', () => {
    expect(parseEnvDump('A=1\0B=x=y\0C=\0')).toEqual({ A: '1', B: 'x=y', C: '' });
  });
});

describe('HTTP check (loopback only)', () => {
  let server: Server;
  let base: string;
  let lastHeaders: Record<string, string | string[] | undefined> = {};
  beforeAll(async () => {
    server = createServer((req, res) => {
      lastHeaders = req.headers;
      switch (req.url) {
        case '/ok':
          res.end('<html><body>Apache Status</body></html>\n');
          break;
        case '/moved':
          res.writeHead(302, { location: '/ok' });
          res.end();
          break;
        case '/loop':
          res.writeHead(301, { location: '/loop' });
          res.end();
          break;
        case '/missing':
          res.writeHead(404, 'Not Found');
          res.end('<html><body>Not Found</body></html>');
          break;
        case '/broken':
          res.writeHead(500);
          res.end();
          break;
        case '/slow':
          setTimeout(() => res.end('late</html>'), 3000);
          break;
        default:
          res.end('plain text');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const o = { timeoutMs: 2000, ipv6: false };
  const problem = async (p: Promise<unknown>) => {
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HttpCheckError);
    return e as HttpCheckError;
  };

  it('matches the page, following redirects, with Basic credentials when given', async () => {
    await checkPage(`${base}/ok`, grepRegex('</ *html *>') as RegExp, o);
    await checkPage(`${base}/moved`, /apache status/i, { ...o, auth: { user: 'u', password: 'p:w' } });
    expect(lastHeaders.authorization).toBe(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
    expect((await fetchPage(`${base}/moved`, { ...o, method: 'GET' })).url).toBe(`${base}/ok`);
  });

  it('fails on an error status even if its page matches, on a mismatch, on redirect loops', async () => {
    expect((await problem(checkPage(`${base}/missing`, /html/i, o))).message).toBe(`${base}/missing answered 404 Not Found`);
    expect((await problem(checkPage(`${base}/plain`, /<\/html>/i, o))).problem).toBe('mismatch');
    expect((await problem(checkPage(`${base}/loop`, /x/, o))).message).toMatch(/more than 10 redirects/);
  });

  it('times out, and says "connection refused" for a closed port', async () => {
    const t = await problem(checkPage(`${base}/slow`, /late/, { ...o, timeoutMs: 300 }));
    expect(t.problem).toBe('timeout');
    const closed = await problem(checkPage('http://127.0.0.1:1/x', /x/, o));
    expect(closed.problem).toBe('connect');
    expect(closed.message).toMatch(/connection refused/);
  });

  it('refuses URLs it cannot monitor, and a target that is not local', async () => {
    const ftp = await problem(checkPage('ftp://127.0.0.1/', /x/, o));
    expect([ftp.problem, ftp.message]).toEqual(['url', 'ftp://127.0.0.1/: only http and https URLs can be monitored']);
    const garbage = await problem(checkPage('not a url', /x/, o));
    expect([garbage.problem, garbage.message]).toEqual(['url', "'not a url' is not a valid URL"]);
    // the request leaves from 127.0.0.1, which the kernel refuses to route to another host (TEST-NET-3)
    const remote = await problem(checkPage('http://203.0.113.1:9/x', /x/, { ...o, timeoutMs: 5000 }));
    expect(remote.problem).toBe('connect');
    expect(remote.message).toMatch(
      /^http:\/\/203\.0\.113\.1:9\/x: cannot connect from the loopback address \((EINVAL|EADDRNOTAVAIL)\); the URL must point to this node$/,
    );
  });

  it('index-page fallback accepts any non-5xx answer', async () => {
    await checkAnswers(`${base}/missing`, o);
    expect((await problem(checkAnswers(`${base}/broken`, o))).problem).toBe('http');
  });
});

describe('HTTP/1.0 answers', () => {
  const raw = (s: string) => Buffer.from(s, 'latin1');
  it('parses status, Location, Content-Length and chunked bodies', () => {
    const a = parseAnswer(raw('HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 3\r\n\r\nabcdef'), 'GET');
    expect(a).toMatchObject({ status: 302, statusText: 'Found', location: '/x' });
    expect(a.body.toString()).toBe('abc');
    const c = parseAnswer(raw('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'), 'GET');
    expect(c.body.toString()).toBe('hello world');
    expect(parseAnswer(raw('HTTP/1.0 200\n\nbody'), 'HEAD').body.length).toBe(0);
  });
  it('refuses what is not HTTP', () => {
    expect(() => parseAnswer(raw(''), 'GET')).toThrow(/closed the connection without an answer/);
    expect(() => parseAnswer(raw('SSH-2.0-OpenSSH\r\n\r\n'), 'GET')).toThrow(MalformedAnswer);
    expect(() => parseAnswer(raw('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'), 'GET')).toThrow(/cut short/);
  });

  let tcp: TcpServer;
  let port = 0;
  beforeAll(async () => {
    tcp = createTcpServer((sock) => {
      sock.once('data', (d: Buffer) => {
        const line = d.toString('latin1').split('\r\n')[0]!;
        if (line.startsWith('GET /chunked ')) {
          sock.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n</html>\r\n0\r\n\r\n');
        } else if (line.startsWith('GET /garbage ')) {
          sock.end('garbage\r\n\r\n');
        } else if (line.startsWith('GET /reset ')) {
          sock.resetAndDestroy();
        } else {
          sock.end();
        }
      });
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const a = tcp.address();
    port = typeof a === 'object' && a ? a.port : 0;
  });
  afterAll(async () => {
    await new Promise((r) => tcp.close(r));
  });

  it('decodes a chunked answer from the wire, and names a non-HTTP or dropped one', async () => {
    const o = { timeoutMs: 2000, ipv6: false };
    await checkPage(`http://127.0.0.1:${port}/chunked`, /<\/html>/i, o);
    const failure = async (path: string) => {
      const e = await checkPage(`http://127.0.0.1:${port}${path}`, /x/, o).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(HttpCheckError);
      return (e as HttpCheckError).message;
    };
    expect(await failure('/garbage')).toMatch(/not an HTTP answer: 'garbage'/);
    expect(await failure('/drop')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/drop: .*closed the connection without an answer$/);
    expect(await failure('/reset')).toBe(`http://127.0.0.1:${port}/reset: connection reset`);
  });
});

describe('HTTPS (node:https, loopback peer, certificate not verified)', () => {
  let tls: TlsServer;
  let port = 0;
  beforeAll(async () => {
    const key = join(dir, 'tls.key');
    const cert = join(dir, 'tls.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=test.invalid', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    tls = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      if (req.url === '/to-http') {
        res.writeHead(302, { location: 'https://127.0.0.1:' + port + '/ok' });
        res.end();
      } else res.end('<html>secure status</html>');
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const a = tls.address();
    port = typeof a === 'object' && a ? a.port : 0;
  });
  afterAll(async () => {
    tls.closeAllConnections();
    await new Promise((r) => tls.close(r));
  });

  it('checks a self-signed local server, redirects included', async () => {
    await checkPage(`https://127.0.0.1:${port}/to-http`, /secure status/, { timeoutMs: 3000, ipv6: false });
  });
});
