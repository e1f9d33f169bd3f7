/** The cache's slim records keep what policies read and drop what only costs memory. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { slimIngress, slimNamespace, slimService } from '../../src/policy/slim.js';

const lastApplied = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec: { x: 'y'.repeat(10_000) } }) };

describe('slim records', () => {
  it("drop kubectl's last-applied copy of the object and keep every other annotation", () => {
    const annotations = { ...lastApplied, 'lb.harbormaster.io/vip-pool': 'public', 'nginx.ingress.kubernetes.io/rewrite-target': '/' };
    const metadata = { name: 'a', namespace: 'team-a', annotations };
    const want = { 'lb.harbormaster.io/vip-pool': 'public', 'nginx.ingress.kubernetes.io/rewrite-target': '/' };
    assert.deepEqual(slimService({ apiVersion: 'v1', kind: 'Service', metadata, spec: {} }).annotations, want);
    assert.deepEqual(slimIngress({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata, spec: {} }).annotations, want);
    assert.deepEqual(slimNamespace({ apiVersion: 'v1', kind: 'Namespace', metadata }).annotations, want);
    // The object itself is not changed.
    assert.ok('kubectl.kubernetes.io/last-applied-configuration' in annotations);
  });
});
