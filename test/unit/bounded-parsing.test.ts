/** The budget-keeping parsers: JSON depth on raw bytes, addon values text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonDeeperThan } from '../../src/admission/json-depth.js';
import { MAX_VALUES_BYTES, parseValuesText } from '../../src/catalog/values-text.js';

const b = (s: string) => Buffer.from(s);

describe('jsonDeeperThan', () => {
  const table: Array<[string, number, boolean]> = [
    ['{}', 1, false],
    ['{"a":{}}', 1, true],
    ['[[[]]]', 3, false],
    ['[[[[]]]]', 3, true],
    ['{"s":"{{{{[[[["}', 1, false],
    ['{"s":"\\"{{{"}', 1, false],
    ['{"a":[1,{"b":2}],"c":{}}', 3, false],
    [`${'['.repeat(6000)}${']'.repeat(6000)}`, 100, true],
  ];
  for (const [text, limit, want] of table) it(`${text.slice(0, 30)} deeper than ${limit}: ${want}`, () => assert.equal(jsonDeeperThan(b(text), limit), want));
});

describe('parseValuesText', () => {
  it('parses YAML and JSON', () => {
    assert.deepEqual(parseValuesText('a: 1\nb: { c: [x] }\n'), { ok: true, value: { a: 1, b: { c: ['x'] } } });
    assert.deepEqual(parseValuesText('{"a": 1}'), { ok: true, value: { a: 1 } });
  });
  it('refuses duplicate keys, at any depth, in one pass', () => {
    assert.match((parseValuesText('a: 1\na: 2\n') as { problem: string }).problem, /map keys must be unique \("a" appears twice\)/);
    assert.match((parseValuesText('x:\n  y: 1\n  y: 2\n') as { problem: string }).problem, /"y" appears twice/);
    const many = JSON.stringify(Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`k${i}`, i]))).replace('}', ',"k5":1}');
    const t = performance.now();
    assert.equal(parseValuesText(many).ok, false);
    assert.ok(performance.now() - t < 500);
  });
  it('refuses text over the cap before parsing it', () => {
    const r = parseValuesText(`a: "${'x'.repeat(MAX_VALUES_BYTES)}"`);
    assert.equal(r.ok, false);
    assert.match((r as { problem: string }).problem, /addon values are limited to 16384/);
  });
  it('refuses alias bombs and syntax errors with one line', () => {
    const bomb = 'a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b]\n';
    assert.equal(parseValuesText(bomb).ok, false);
    const bad = parseValuesText('a: [1, 2');
    assert.equal(bad.ok, false);
    assert.ok(!(bad as { problem: string }).problem.includes('\n'));
  });
});
