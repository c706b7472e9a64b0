/** The server command's flags: defaults, stores, and auth that is never open by accident. */
import { describe, expect, it } from 'vitest';
import { parseServerArgs, UsageError } from '../../../src/server/node/cli-args.ts';

const files: Record<string, string> = { '/run/secret': 'from-the-file\n' };
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error('ENOENT: no such file');
  return text;
};
const parse = (argv: string[], env: Record<string, string> = {}) => parseServerArgs(argv, env, readFile);

describe('pulsesync-server flags', () => {
  it('defaults to 127.0.0.1:8787 on ./pulsesync.db', () => {
    expect(parse(['--token', 'secret-token'])).toMatchObject({ host: '127.0.0.1', port: 8787, store: { kind: 'sqlite', path: './pulsesync.db' }, corsOrigin: '*' });
  });

  it('reads --flag value and --flag=value, port 0 and --postgres', () => {
    expect(parse(['--port=0', '--host', '0.0.0.0', '--postgres', 'postgres://u@h/db', '--token=t0k3n-t0k3n'])).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      store: { kind: 'postgres', url: 'postgres://u@h/db' },
      auth: { kind: 'token', token: 't0k3n-t0k3n' },
    });
  });

  it('takes the token from --token-file (first line) or PULSESYNC_TOKEN', () => {
    expect(parse(['--token-file', '/run/secret'])).toMatchObject({ auth: { kind: 'token', token: 'from-the-file' } });
    expect(parse([], { PULSESYNC_TOKEN: 'from-env' })).toMatchObject({ auth: { kind: 'token', token: 'from-env' } });
    expect(parse(['--token', 'flag-wins'], { PULSESYNC_TOKEN: 'from-env' })).toMatchObject({ auth: { token: 'flag-wins' } });
  });

  it('bounds slow and numerous clients by default, and takes other bounds from flags', () => {
    expect(parse(['--token', 'x'])).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 10_000 });
    expect(parse(['--token', 'x', '--headers-timeout-ms', '2000', '--request-timeout-ms=5000', '--max-connections', '64'])).toMatchObject({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      maxConnections: 64,
    });
    expect(parse(['--token', 'x'])).toMatchObject({ maxClockDriftMs: undefined });
    expect(parse(['--token', 'x', '--max-clock-drift-ms', '60000'])).toMatchObject({ maxClockDriftMs: 60_000 });
  });

  it('requires instance keys only with --require-instance-keys', () => {
    expect(parse(['--token', 'secret-token'])).toMatchObject({ requireInstanceKeys: false });
    expect(parse(['--token', 'secret-token', '--require-instance-keys'])).toMatchObject({ requireInstanceKeys: true });
    expect(() => parse(['--token', 'secret-token', '--require-instance-keys=yes'])).toThrow(/takes no value/);
  });

  it('keeps tombstones the server default unless --tombstone-horizon-days says how many days', () => {
    expect(parse(['--token', 'x'])).toMatchObject({ tombstoneHorizonMs: undefined });
    expect(parse(['--token', 'x', '--tombstone-horizon-days', '7'])).toMatchObject({ tombstoneHorizonMs: 7 * 24 * 60 * 60 * 1000 });
    expect(() => parse(['--token', 'x', '--tombstone-horizon-days', '0'])).toThrow(/--tombstone-horizon-days must be an integer of at least 1/);
    expect(() => parse(['--token', 'x', '--tombstone-horizon-days', '1.5'])).toThrow(/--tombstone-horizon-days must be an integer/);
  });

  it('runs open only with --insecure-no-auth', () => {
    expect(() => parse([])).toThrow(/No authentication configured/);
    expect(parse(['--insecure-no-auth'])).toMatchObject({ auth: { kind: 'none' } });
  });

  it.each([
    [['--port', 'http'], /--port must be an integer/],
    [['--port', '70000', '--token', 'x'], /at most 65535/],
    [['--db', 'a.db', '--postgres', 'postgres://x', '--token', 'x'], /not both/],
    [['--token', 'x', '--insecure-no-auth'], /not several/],
    [['--token-file', '/missing'], /Cannot read --token-file/],
    [['--token', ''], /empty/],
    [['--tokn', 'x'], /Unknown option --tokn/],
    [['--token'], /--token needs a value/],
    [['--token', 'x', '--token', 'y'], /twice/],
    [['serve'], /Unexpected argument/],
    [['--token', 'x', '--headers-timeout-ms', '60000'], /must not be longer than --request-timeout-ms/],
    [['--token', 'x', '--max-connections', '0'], /--max-connections must be an integer of at least 1/],
    [['--token', 'x', '--request-timeout-ms', 'soon'], /--request-timeout-ms must be an integer/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
  });
});
