import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addQuantity, compareQuantity, formatQuantity, multiplyQuantity, parseQuantity } from '../../src/quantity/quantity.js';

const q = (s: string | number) => {
  const v = parseQuantity(s);
  assert.ok(v, `parses ${s}`);
  return v;
};

describe('quantity', () => {
  const equal: Array<[string | number, string | number]> = [
    ['0.5', '500m'],
    ['1', '1000m'],
    ['1e3', '1k'],
    ['1Gi', '1073741824'],
    ['1Ki', '1024'],
    ['.5', '0.5'],
    ['1E-3', '1m'],
    ['2Mi', '2048Ki'],
    [1, '1'],
    ['100u', '0.1m'],
    ['1n', '0.000000001'],
    ['+1', '1'],
    ['1.', '1'],
  ];
  for (const [a, b] of equal) it(`${a} == ${b}`, () => assert.equal(compareQuantity(q(a), q(b)), 0));

  const less: Array<[string, string]> = [
    ['999m', '1'],
    ['1G', '1Gi'],
    ['0.1', '101m'],
    ['-1', '0'],
    ['1023Ki', '1Mi'],
  ];
  for (const [a, b] of less) it(`${a} < ${b}`, () => assert.equal(compareQuantity(q(a), q(b)), -1));

  for (const bad of ['', 'abc', '1.2.3', '1 Gi', '1gi', '--1', 'e3', '1Kib', '0x10', {}, null, Infinity]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseQuantity(bad), undefined));
  }

  it('adds exactly where floats drift (0.1 + 0.2 = 300m)', () => {
    assert.equal(compareQuantity(addQuantity(q('0.1'), q('0.2')), q('300m')), 0);
  });

  it('agrees with integer arithmetic for milli-values (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 10 ** 9 }), (a, b) => {
        const expected = Math.sign(a - b);
        return compareQuantity(q(`${a}m`), q(`${b / 1000}`)) === expected;
      }),
    );
  });

  const formats: Array<[string, string]> = [
    ['0.5', '500m'],
    ['1', '1'],
    ['2Gi', '2Gi'],
    ['1536Mi', '1536Mi'],
    ['1024', '1024'],
    ['1e3', '1000'],
    ['1.5', '1500m'],
    ['0.000001', '1u'],
    ['0', '0'],
  ];
  for (const [a, b] of formats) it(`formats ${a} as ${b}`, () => assert.equal(formatQuantity(q(a)), b));

  it('rounds a product down to nano precision, never above it', () => {
    assert.equal(formatQuantity(multiplyQuantity(q('333m'), q('1.5'))), '499500u');
    assert.equal(formatQuantity(multiplyQuantity(q('1n'), q('0.5'))), '0');
  });

  it('formats what parses back to the same value (property, whole nanos)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), (n) => compareQuantity(q(formatQuantity(q(`${n}n`))), q(`${n}n`)) === 0));
  });
});
