// Regenerates manifests/webhooks.yaml from the policy registry.
//   npm run gen:manifests           write the file
//   npm run gen:manifests -- --check  exit 1 if it is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_SYSTEM_NAMESPACES, loadConfigFile, withPlatformNamespaces } from '../src/config/load.js';
import { renderWebhookYaml } from '../src/manifests/render.js';
import { webhookConfigurations } from '../src/manifests/webhooks.js';
import { DEFAULT_POLICY_FILE, PACKAGE_ROOT } from '../src/paths.js';
import { builtinPolicies } from '../src/policies/index.js';

export function shippedWebhookYaml(): string {
  const policies = builtinPolicies();
  const shipped = loadConfigFile(DEFAULT_POLICY_FILE);
  const objects = webhookConfigurations({
    policies,
    target: { kind: 'service', name: 'harbormaster', namespace: 'harbormaster-system', port: 443 },
    systemNamespaces: withPlatformNamespaces(DEFAULT_SYSTEM_NAMESPACES),
    // Conditions that depend on the policy file are made for the shipped one: regenerate for yours.
    ...(shipped.ok ? { config: shipped.config } : {}),
  });
  return renderWebhookYaml(
    objects,
    policies,
    '# Generated from the policy registry by `npm run gen:manifests`; do not edit by hand.\n' +
      '# caBundle is filled in at run time by the server (see certs/README.md).',
  );
}

const target = resolve(PACKAGE_ROOT, 'manifests', 'webhooks.yaml');
if (process.argv[1] && resolve(process.argv[1]).endsWith('gen-manifests.ts')) {
  const text = shippedWebhookYaml();
  if (process.argv.includes('--check')) {
    if (readFileSync(target, 'utf8') !== text) {
      console.error('manifests/webhooks.yaml is out of date: run npm run gen:manifests');
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
