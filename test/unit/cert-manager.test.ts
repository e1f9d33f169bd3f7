import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateCA, generateCertificates } from '../../src/certs/generate.js';
import { mergeBundle, renewalReason } from '../../src/certs/manager.js';
import { serviceDnsNames } from '../../src/certs/generate.js';

const DAY = 24 * 3600 * 1000;
const now = new Date('2026-06-01T00:00:00Z');
const dnsNames = serviceDnsNames('harbormaster', 'harbormaster-system');

describe('certificate renewal decisions', () => {
  const ca = generateCA({ commonName: 'ca', days: 3650, now });
  const good = generateCertificates({ service: 'harbormaster', namespace: 'harbormaster-system', ca, days: 365, now });
  it('a fresh certificate needs nothing', () => {
    assert.equal(renewalReason(good.cert, ca.cert, { dnsNames, now, renewBeforeDays: 30 }), undefined);
  });
  it('renews inside the 30-day window', () => {
    assert.match(renewalReason(good.cert, ca.cert, { dnsNames, now: new Date(now.getTime() + 340 * DAY), renewBeforeDays: 30 }) ?? '', /expires/);
  });
  it('renews when SANs are wrong, the CA differs, or nothing is there', () => {
    const other = generateCertificates({ service: 'other', namespace: 'harbormaster-system', ca, now });
    assert.match(renewalReason(other.cert, ca.cert, { dnsNames, now, renewBeforeDays: 30 }) ?? '', /SAN harbormaster missing/);
    const foreign = generateCA({ commonName: 'x', days: 3650, now });
    assert.equal(renewalReason(good.cert, foreign.cert, { dnsNames, now, renewBeforeDays: 30 }), 'not signed by the CA');
    assert.equal(renewalReason('', '', { dnsNames, now, renewBeforeDays: 30 }), 'missing or unreadable');
  });
  it('bundles deduplicate and drop expired CAs', () => {
    const old = generateCA({ commonName: 'old', days: 1, now: new Date(now.getTime() - 10 * DAY) });
    const merged = mergeBundle([ca.cert, ca.cert, old.cert, 'garbage'], now);
    assert.equal((merged.match(/BEGIN CERTIFICATE/g) ?? []).length, 1);
  });
});
