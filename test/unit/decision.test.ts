import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fastJsonPatch from 'fast-json-patch';
import { DecisionBuilder, pointer } from '../../src/policy/decision.js';
import { formatWarning, toResponse } from '../../src/admission/review.js';

describe('DecisionBuilder', () => {
  it('diffs one working copy and tags each op with the rule that wrote it', () => {
    const original = { metadata: { annotations: { a: '1' } }, spec: { containers: [{ name: 'x' }] } };
    const b = new DecisionBuilder({ object: original });
    b.set('p.one', ['metadata', 'annotations', 'example.io/key'], 'v');
    b.set('p.two', ['spec', 'containers', 0, 'resources', 'limits', 'cpu'], '1');
    b.append('p.three', ['spec', 'volumes'], { name: 'v' });
    const d = b.build();
    assert.equal(d.allowed, true);
    const byPath = Object.fromEntries(d.patch.map((op) => [op.path, op.rule]));
    assert.deepEqual(byPath, {
      '/metadata/annotations/example.io~1key': 'p.one',
      '/spec/containers/0/resources': 'p.two',
      '/spec/volumes': 'p.three',
    });
    const applied = fastJsonPatch.applyPatch(structuredClone(original), d.patch.map(({ rule: _r, ...op }) => op) as fastJsonPatch.Operation[]).newDocument;
    assert.deepEqual(applied, d.mutated);
    assert.deepEqual(original.spec.containers[0], { name: 'x' }, 'the original is never touched');
  });

  it('emits no patch when writes change nothing (idempotent re-invocation)', () => {
    const b = new DecisionBuilder({ object: { a: { b: 1 } } });
    b.set('p.r', ['a', 'b'], 1);
    assert.deepEqual(b.build().patch, []);
  });

  it('drops a patch when anything denied', () => {
    const b = new DecisionBuilder({ object: { a: 1 } });
    b.set('p.r', ['a'], 2);
    b.deny('p.d', 'no');
    const d = b.build();
    assert.equal(d.allowed, false);
    assert.deepEqual(d.patch, []);
    assert.equal(toResponse('u', d).status?.message, '[p.d] no');
  });

  it('drops findings of exempt rules', () => {
    const b = new DecisionBuilder({ object: { a: 1 }, isExempt: (r) => r === 'p.x' });
    b.deny('p.x', 'no');
    b.set('p.x', ['a'], 2);
    b.warn('p.x', 'hm');
    assert.deepEqual(b.build(), { allowed: true, denials: [], warnings: [], patch: [], findings: [], mutated: { a: 1 } });
  });

  it('escapes JSON pointers', () => {
    assert.equal(pointer(['a/b', 'c~d', 0]), '/a~1b/c~0d/0');
  });

  it('keeps warnings to 120 characters and on one line', () => {
    const w = formatWarning('policy.rule', 'x'.repeat(300) + '\nsecond line');
    assert.equal(w.length, 120);
    assert.doesNotMatch(w, /\n/);
  });

  it('deduplicates warnings and keeps their order', () => {
    const b = new DecisionBuilder({ object: {} });
    b.warn('p.a', 'one');
    b.warn('p.b', 'two');
    b.warn('p.a', 'one');
    assert.deepEqual(toResponse('u', b.build()).warnings, ['[p.a] one', '[p.b] two']);
  });
});

describe('the patch is diffed only where policies wrote', () => {
  it('applying it to the original always gives the working copy (property)', async () => {
    const fc = (await import('fast-check')).default;
    const { applyPatch } = (await import('fast-json-patch')).default;
    // Objects are walked by keys and lists only appended to (as policies do): lists live under "L" only.
    const key = fc.constantFrom('a', 'b', 'c~', 'd/e');
    const value = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.dictionary(key, fc.string(), { maxKeys: 2 }));
    const set = fc.record({ kind: fc.constant('set'), path: fc.array(key, { minLength: 1, maxLength: 3 }), value });
    const append = fc.record({ kind: fc.constant('append'), path: fc.array(key, { maxLength: 2 }).map((p) => [...p, 'L']), value });
    const write = fc.oneof(set, append);
    fc.assert(
      fc.property(fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 }))), fc.array(write, { maxLength: 6 }), (original, writes) => {
        const b = new DecisionBuilder({ object: structuredClone(original) });
        for (const w of writes) {
          if (w.kind === 'set') b.set('r', w.path, w.value);
          else b.append('r', w.path, w.value);
        }
        const d = b.build();
        const patched = applyPatch(structuredClone(original), d.patch.map(({ rule: _r, ...op }) => op) as never, true).newDocument;
        assert.deepEqual(JSON.parse(JSON.stringify(patched)), JSON.parse(JSON.stringify(d.mutated ?? original)));
      }),
      { numRuns: 2000 },
    );
  });
});
