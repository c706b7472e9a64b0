/**
 * Requests built to be costly (issue 11, finding 3), sent through a handler with the
 * default body cap: 16 MB of tiny nodes, huge lists, deep nesting, long strings. Each is
 * refused without holding the event loop; the table measures a concurrent health request.
 */
import { newInstanceId } from '../wire-messages.ts';
import { post, postJson, repeatedList, validChange, type HostileCase } from './requests.ts';

const cost = (name: string, request: () => Request, status: number, code: string): HostileCase => ({ name, request, status, code, cost: true });
const TOO_LARGE = [413, 'PAYLOAD_TOO_LARGE'] as const;
const INVALID = [400, 'INVALID_PAYLOAD'] as const;

/** `{"instanceId":…,"policy":…,"changes":<list>}` with `list` as raw JSON text. */
function pushText(list: string): string {
  return `{"instanceId":"${newInstanceId()}","policy":"last-write-wins","changes":${list}}`;
}

/** A push of one change that also holds `count` keys the schema does not know. */
function changeWithKeys(count: number): Request {
  const source = newInstanceId();
  const keys = Array.from({ length: count }, (_, i) => `"k${i}":0`).join(',');
  return post('push', pushText(`[${JSON.stringify(validChange(source)).replace(/}$/, `,${keys}}`)}]`).replace(/"instanceId":"[^"]+"/, `"instanceId":"${source}"`));
}

export const COST_CASES: readonly HostileCase[] = [
  cost('a push of 7 million zeros (14 MB)', () => post('push', pushText(repeatedList('0', 7_000_000))), ...TOO_LARGE),
  cost('a push of a million empty objects', () => post('push', pushText(repeatedList('{}', 1_000_000))), ...TOO_LARGE),
  cost('a push of a million empty lists', () => post('push', pushText(repeatedList('[]', 1_000_000))), ...TOO_LARGE),
  cost('a push of a million one-key objects', () => post('push', pushText(repeatedList('{"a":0}', 1_000_000))), ...TOO_LARGE),
  cost('a list nested 2 million deep', () => post('push', `${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}`), ...TOO_LARGE),
  cost('a list nested 100,000 deep', () => post('push', `${'['.repeat(100_000)}${']'.repeat(100_000)}`), ...INVALID),
  cost('a value nested 100,000 deep', () => {
    const source = newInstanceId();
    const change = JSON.stringify(validChange(source)).replace('{"ok":true}', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    return post('push', pushText(`[${change}]`).replace(/"instanceId":"[^"]+"/, `"instanceId":"${source}"`));
  }, ...INVALID),
  cost('a push of 10,001 valid-looking changes', () => {
    const source = newInstanceId();
    return postJson('push', { instanceId: source, policy: 'last-write-wins', changes: Array.from({ length: 10_001 }, (_, i) => validChange(source, i + 1, `k${i}`)) });
  }, ...TOO_LARGE),
  cost('a push of 400,000 strings', () => post('push', pushText(repeatedList('"x"', 400_000))), ...TOO_LARGE),
  cost('a change with 300,000 unknown keys', () => changeWithKeys(300_000), ...TOO_LARGE),
  cost('a change with 50,000 unknown keys', () => changeWithKeys(50_000), ...INVALID),
  cost('a value of 3,000 objects of 100 distinct keys', () => {
    const objects = Array.from({ length: 3_000 }, (_, j) => `{${Array.from({ length: 100 }, (_, i) => `"o${j}k${i}":0`).join(',')}}`);
    return post('push', pushText(`[${JSON.stringify(validChange(newInstanceId())).replace('{"ok":true}', `[${objects.join(',')}]`)}]`));
  }, ...TOO_LARGE),
  cost('a record id of 10 MB', () => post('push', pushText(`[${JSON.stringify({ ...validChange(newInstanceId()), id: 'i'.repeat(10_000_000) })}]`)), ...INVALID),
  cost('an instance id of 10 MB', () => post('pull', `{"instanceId":"${'a'.repeat(10_000_000)}","cursor":0,"batchSize":1}`), ...INVALID),
  cost('a pull naming 3 million collectives', () => post('pull', `{"instanceId":"${newInstanceId()}","cursor":0,"batchSize":1,"collectives":${repeatedList('"a"', 3_000_000)}}`), ...TOO_LARGE),
  cost('a pull naming 200,000 collectives', () => post('pull', `{"instanceId":"${newInstanceId()}","cursor":0,"batchSize":1,"collectives":${repeatedList('"a"', 200_000)}}`), ...INVALID),
  cost('a handshake with 100,000 capabilities', () => post('handshake', `{"instanceId":"${newInstanceId()}","protocolVersion":1,"capabilities":${repeatedList('"live"', 100_000)}}`), ...INVALID),
  cost('a body of 15 MB of whitespace', () => post('pull', `${' '.repeat(15_000_000)}{}`), ...INVALID),
  cost('a string of 15 MB of escapes', () => post('pull', `{"instanceId":"${'\\n'.repeat(7_000_000)}","cursor":0,"batchSize":1}`), ...INVALID),
];
