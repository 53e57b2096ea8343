// ocf:heartbeat:apache's parameters, same names and meanings; defaults are
// Debian's (apache2 package layout).

import { param, type ParamValues } from '../framework/params.js';
import { grepRegex } from './grep-regex.js';
import { splitWords } from './words.js';

export const DEFAULT_TESTREGEX = '</ *html *>';

const regexProblem = (v: string): string | undefined => {
  const r = grepRegex(v);
  return typeof r === 'string' ? r : undefined;
};

export const params = {
  configfile: param.string({
    shortdesc: 'configuration file path',
    longdesc:
      'The full pathname of the Apache configuration file. It is read (with its Include/IncludeOptional files) ' +
      'for ServerRoot, PidFile, Listen and the <Location> that sets the server-status handler.',
    unique: true,
    default: '/etc/apache2/apache2.conf',
  }),
  httpd: param.string({
    shortdesc: 'httpd binary path',
    longdesc:
      'The full pathname of the httpd binary. When left at its default and missing, the usual locations ' +
      '(/usr/sbin/httpd, /usr/sbin/httpd2, /sbin/httpd ...) are searched; a path set explicitly must exist.',
    default: '/usr/sbin/apache2',
  }),
  port: param.integer({
    shortdesc: 'httpd port',
    longdesc:
      'Port used to build the status URL when the configuration has no Listen directive. ' +
      'Defaults to the Port directive of the configuration, or 80.',
    min: 1,
    max: 65535,
  }),
  statusurl: param.string({
    shortdesc: 'url name',
    longdesc:
      'The URL to monitor (the server-status page by default, derived from the first Listen and the ' +
      '<Location> with "SetHandler server-status"). Make sure it answers *only* to requests from localhost: ' +
      'the monitor always connects from 127.0.0.1 (or ::1).',
  }),
  testregex: param.string({
    shortdesc: 'monitor regular expression',
    longdesc: 'Regular expression (extended, case-insensitive, as grep -Ei) to match in the page at statusurl.',
    default: DEFAULT_TESTREGEX,
    check: regexProblem,
  }),
  client: param.string({
    shortdesc: 'http client',
    longdesc:
      'Client used to query Apache. Empty, "curl" or "wget" use the agent\'s built-in HTTP client (no process ' +
      'is forked per monitor). Any other value is a program run as "<client> [client_opts] <url>" whose output is matched.',
  }),
  testurl: param.string({
    shortdesc: 'test url',
    longdesc:
      'URL for the OCF_CHECK_LEVEL=10 monitor. If it does not start with "http", it is relative to the Listen address.',
    check: (v) => (v.trim() === '' ? `testurl '${v}' seems to be an empty string` : undefined),
  }),
  testregex10: param.string({
    shortdesc: 'extended monitor regular expression',
    longdesc: 'Regular expression (extended, case-insensitive) to match in the output of testurl.',
    check: regexProblem,
  }),
  testconffile: param.string({
    shortdesc: 'test configuration file',
    longdesc:
      'File with depth-10 test definitions ("test <name>", url, match, user, password, client, client_opts, ' +
      '"end"; see README.webapps of resource-agents). Takes precedence over testurl/testregex10.',
  }),
  testname: param.string({
    shortdesc: 'test name',
    longdesc: 'Name of the test within testconffile; the first test when unset.',
  }),
  options: param.string({
    shortdesc: 'command line options',
    longdesc:
      'Extra options for httpd (see httpd(8)), split like a shell would, so -c "PidFile /x" is one option. ' +
      '-D, -d, -C and -c are also taken into account when reading the configuration.',
    check: (v) => {
      const w = splitWords(v);
      return w.ok ? undefined : w.problem;
    },
  }),
  envfiles: param.string({
    shortdesc: 'environment settings files',
    longdesc:
      'Files (blank-separated) sourced by /bin/sh before httpd starts and used for ${VAR} in the configuration. ' +
      'Missing files are skipped. Set to an empty string to read none.',
    default: '/etc/apache2/envvars',
  }),
  use_ipv6: param.boolean({
    shortdesc: 'use ipv6 with http clients',
    longdesc:
      'Connect to a host name in the monitor URL over IPv6 (from ::1). IPv6 literal addresses such as [::1] are detected without it.',
    default: false,
  }),
};

export type ApacheParams = ParamValues<typeof params>;
