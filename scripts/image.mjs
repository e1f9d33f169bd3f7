#!/usr/bin/env node
// Builds the Harbormaster image from the Containerfile with podman and tags it
// harbormaster/harbormaster:<package.json version> (`npm run image`).
//
// No registry is reachable here, so the bases the Containerfile takes as build
// arguments are made on this machine when missing, and cached (podman's store
// plus a marker per base under ~/.cache/harbormaster/image/):
//   node        this machine's node binary (stripped) and the shared libraries
//               ldd lists, Debian's CA bundle, /tmp; no shell   -> BASE
//   node-build  the same plus npm, /bin/sh, env and find           -> BUILD_BASE
//   helm        the pinned helm from scripts/build-binaries.sh and /bin/sh -> HELM_BUILDER
// The image itself is rebuilt only when its inputs change (this script, the Containerfile,
// package*.json, tsconfig, src/, bin/, addons/, manifests/, the bases): their
// hash is a label on the image.
//
// Progress goes to stderr; stdout gets the tag, or with --json one JSON line
// (tag, id, size, seconds, cached, the engine and the flags containers need here).
//
// Environment: HARBORMASTER_OCI_RUNTIME (default runc when installed: crun
// refuses this machine's hybrid cgroups), HM_CACHE_DIR (default ~/.cache/harbormaster).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(process.env.HM_CACHE_DIR ?? join(homedir(), '.cache', 'harbormaster'), 'image');
const REPOSITORY = 'harbormaster/harbormaster';
const HELM_VERSION = 'v3.22.0'; // as scripts/build-binaries.sh and the Containerfile pin it
/** Bump when a base recipe below changes: the bases are then made again. */
const RECIPE = 3;
/** podman's default rlimits exceed this machine's, and the OCI runtime then fails with "setrlimit … operation not permitted". */
export const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
/** What the Containerfile copies, and so what the image depends on. */
const INPUT_FILES = ['Containerfile', '.containerignore', 'scripts/image.mjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const INPUT_DIRS = ['src', 'bin', 'addons', 'manifests'];

const say = (m) => process.stderr.write(`[image] ${m}\n`);

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r;
}

function runOk(cmd, args, options = {}) {
  const r = run(cmd, args, options);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} … failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-5).join('\n')}`);
  return (r.stdout ?? '').trim();
}

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * podman and runc (crun refuses this machine's hybrid cgroups), installed with
 * apt-get when missing and we are root; anything else is a clear failure.
 */
function ensurePodman() {
  if (which('podman') && (which('runc') || process.env.HARBORMASTER_OCI_RUNTIME)) return which('podman');
  const apt = which('apt-get');
  const packages = ['podman', 'runc', 'conmon', 'netavark'];
  if (process.getuid?.() !== 0 || !apt) {
    throw new Error(`podman and runc are needed; they can be installed here only as root with apt-get (apt-get install ${packages.join(' ')})`);
  }
  say(`podman or runc missing: apt-get install ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run(apt, ['install', '-y', '--no-install-recommends', ...packages], { env, stdio: ['ignore', 2, 2] });
  if (install().status !== 0) {
    say('apt-get install failed; apt-get update and once more');
    run(apt, ['update'], { env, stdio: ['ignore', 2, 2] });
    if (install().status !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed; see the messages above`);
  }
  const podman = which('podman');
  if (!podman) throw new Error('apt-get installed podman but it is not on the PATH');
  return podman;
}

/** Global podman flags: the OCI runtime (runc when installed, as crun refuses hybrid cgroups). */
function engineFlags() {
  const runtime = process.env.HARBORMASTER_OCI_RUNTIME ?? (which('runc') ? 'runc' : undefined);
  return runtime ? ['--runtime', runtime] : [];
}

function filesUnder(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** sha256 over the names and contents of everything the Containerfile copies, plus the given extra strings. */
export function inputsHash(extra) {
  const h = createHash('sha256');
  const files = [...INPUT_FILES.map((f) => join(ROOT, f)), ...INPUT_DIRS.flatMap((d) => filesUnder(join(ROOT, d)))];
  for (const f of files) {
    h.update(relative(ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  for (const x of extra) h.update(x).update('\0');
  return h.digest('hex');
}

// --- the local bases -------------------------------------------------------

/** Copies a binary to the same path under root (or `as`), with every shared library ldd lists. */
function copyWithLibs(root, binary, as = binary) {
  mkdirSync(dirname(join(root, as)), { recursive: true });
  copyFileSync(binary, join(root, as));
  chmodSync(join(root, as), 0o755);
  const ldd = run('ldd', [binary]);
  if (ldd.status !== 0) return; // "not a dynamic executable": a static binary needs nothing more
  for (const lib of ldd.stdout.matchAll(/(\/\S+) \(0x/g)) {
    const path = lib[1];
    mkdirSync(dirname(join(root, path)), { recursive: true });
    copyFileSync(path, join(root, path)); // follows symlinks: the file itself under the name the loader asks for
  }
}

function writeEtc(root) {
  mkdirSync(join(root, 'etc', 'ssl', 'certs'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nnonroot:x:65532:\n');
  writeFileSync(join(root, 'etc', 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  // Debian's ca-certificates (the Mozilla set) as shipped, not this machine's local additions.
  const mozilla = '/usr/share/ca-certificates/mozilla';
  if (existsSync(mozilla)) {
    const pems = readdirSync(mozilla)
      .filter((f) => f.endsWith('.crt'))
      .sort()
      .map((f) => readFileSync(join(mozilla, f), 'utf8'));
    writeFileSync(join(root, 'etc', 'ssl', 'certs', 'ca-certificates.crt'), pems.join(''));
  }
}

function copyNode(root) {
  const node = process.execPath;
  copyWithLibs(root, node, '/usr/local/bin/node');
  const strip = which('strip');
  // The symbol table and debug info (~13 MB); the dynamic symbols native addons link against stay.
  if (strip) runOk(strip, ['-o', join(root, 'usr/local/bin/node'), node]);
}

function copyShell(root) {
  copyWithLibs(root, realpathSync('/bin/sh'), '/bin/sh'); // dash on Debian
}

let npmDirCache;
function npmDir() {
  if (npmDirCache) return npmDirCache;
  const dir = join(runOk('npm', ['root', '-g']), 'npm');
  if (!existsSync(join(dir, 'bin', 'npm-cli.js'))) throw new Error(`npm not found at ${dir}`);
  return (npmDirCache = dir);
}

function helmBinary() {
  const out = runOk('bash', [join(ROOT, 'scripts', 'build-binaries.sh')], { stdio: ['ignore', 'pipe', 2] });
  return join(out.split('\n').pop() ?? '', 'helm');
}

const BASES = {
  node: {
    tag: () => `localhost/harbormaster-base/node:${process.versions.node}`,
    key: () => `node ${process.versions.node} ${statSync(process.execPath).size}`,
    make(root) {
      copyNode(root);
    },
    changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]'],
  },
  'node-build': {
    tag: () => `localhost/harbormaster-base/node-build:${process.versions.node}`,
    key: () =>
      `node ${process.versions.node} ${statSync(process.execPath).size} npm ${JSON.parse(readFileSync(join(npmDir(), 'package.json'), 'utf8')).version}`,
    make(root) {
      copyNode(root);
      copyShell(root);
      copyWithLibs(root, '/usr/bin/env');
      copyWithLibs(root, '/usr/bin/find');
      const lib = join(root, 'usr/local/lib/node_modules/npm');
      // Without the distribution's builtin npmrc (its cafile would replace Node's roots with /etc/ssl/certs).
      const npm = npmDir();
      cpSync(npm, lib, { recursive: true, dereference: true, filter: (src) => relative(npm, src) !== 'npmrc' });
      symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
      symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
      mkdirSync(join(root, 'root'), { mode: 0o700 });
    },
    changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'ENV HOME=/root', 'CMD ["node"]'],
  },
  helm: {
    tag: () => `localhost/harbormaster-base/helm:${HELM_VERSION}`,
    key: () => `helm ${HELM_VERSION}`,
    make(root) {
      copyShell(root);
      copyWithLibs(root, helmBinary(), '/usr/local/bin/helm');
    },
    changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin'],
  },
};

function imageId(podman, flags, ref) {
  const r = run(podman, [...flags, 'image', 'inspect', '--format', '{{.Id}}', ref]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The local base `name`, made and imported when missing or when its recipe changed. */
function ensureBase(podman, flags, name) {
  const base = BASES[name];
  const tag = base.tag();
  const key = `recipe ${RECIPE}: ${base.key()}`;
  const marker = join(CACHE, `base-${name}.json`);
  const id = imageId(podman, flags, tag);
  const known = existsSync(marker) ? JSON.parse(readFileSync(marker, 'utf8')) : undefined;
  if (id && known?.key === key && known?.id === id) {
    say(`base ${tag}: cached`);
    return { tag, id };
  }
  const started = Date.now();
  say(`base ${tag}: making a minimal root (${key})`);
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, `make-${name}-`));
  try {
    const root = join(work, 'root');
    mkdirSync(root);
    writeEtc(root);
    base.make(root);
    const tar = join(work, 'root.tar');
    runOk('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', root, '-cf', tar, '.']);
    say(`base ${tag}: podman import (${(statSync(tar).size / 1e6).toFixed(1)} MB)`);
    const changes = base.changes.flatMap((c) => ['--change', c]);
    runOk(podman, [...flags, 'import', ...changes, '--message', `harbormaster local base ${name} (${key})`, tar, tag]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const made = imageId(podman, flags, tag);
  writeFileSync(marker, JSON.stringify({ tag, id: made, key, made: new Date().toISOString() }, null, 2) + '\n');
  say(`base ${tag}: made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { tag, id: made };
}

// --- the image ---------------------------------------------------------------

function gitRevision() {
  const head = run('git', ['-C', ROOT, 'rev-parse', 'HEAD']);
  if (head.status !== 0) return 'unknown';
  const dirty = run('git', ['-C', ROOT, 'status', '--porcelain', '--', ...INPUT_FILES, ...INPUT_DIRS]).stdout.trim() !== '';
  return head.stdout.trim() + (dirty ? '-dirty' : '');
}

function gitSource() {
  const r = run('git', ['-C', ROOT, 'config', '--get', 'remote.origin.url']);
  return r.status === 0 ? r.stdout.trim() : '';
}

/** A CA the host's Node trusts beyond its own roots (a TLS-inspecting proxy), for npm ci at build time only. */
function buildCaFlags() {
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (!ca || !existsSync(ca)) return [];
  say(`npm ci in the build trusts ${ca} too (NODE_EXTRA_CA_CERTS, mounted read-only for the build only)`);
  return ['--volume', `${ca}:/run/harbormaster-build-ca.crt:ro`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/run/harbormaster-build-ca.crt'];
}

function buildImage(podman, flags, tag, bases, hash) {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  const args = [
    ...flags,
    'build',
    ...ULIMITS,
    '--network',
    'host',
    '--layers',
    ...buildCaFlags(),
    '--build-arg',
    `BASE=${bases.node.tag}`,
    '--build-arg',
    `BUILD_BASE=${bases['node-build'].tag}`,
    '--build-arg',
    `HELM_BUILDER=${bases.helm.tag}`,
    '--build-arg',
    `HELM_VERSION=${HELM_VERSION}`,
    '--build-arg',
    `VERSION=${version}`,
    '--build-arg',
    `REVISION=${gitRevision()}`,
    '--build-arg',
    `CREATED=${new Date().toISOString()}`,
    '--build-arg',
    `SOURCE=${gitSource()}`,
    '--label',
    `io.harbormaster.image.inputs=${hash}`,
    '--file',
    join(ROOT, 'Containerfile'),
    '--tag',
    tag,
    ROOT,
  ];
  say(`podman build --tag ${tag}`);
  const r = run(podman, args, { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`podman build failed (exit ${r.status}); see the messages above`);
}

function inputsLabel(podman, flags, tag) {
  const r = run(podman, [...flags, 'image', 'inspect', '--format', '{{index .Labels "io.harbormaster.image.inputs"}}', tag]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function main(argv) {
  const json = argv.includes('--json');
  const started = Date.now();
  const podman = ensurePodman();
  const flags = engineFlags();
  say(`${runOk(podman, ['--version'])}${flags.length ? ` (${flags.join(' ')})` : ''}`);
  const bases = {};
  for (const name of Object.keys(BASES)) bases[name] = ensureBase(podman, flags, name);
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  const tag = `${REPOSITORY}:${version}`;
  const hash = inputsHash([`recipe ${RECIPE}`, HELM_VERSION, ...Object.values(bases).map((b) => b.id)]);
  const previous = imageId(podman, flags, tag);
  const cached = previous !== undefined && inputsLabel(podman, flags, tag) === hash;
  if (cached) say(`${tag}: cached (inputs ${hash.slice(0, 12)} unchanged)`);
  else buildImage(podman, flags, tag, bases, hash);
  const id = imageId(podman, flags, tag);
  if (previous && previous !== id) run(podman, [...flags, 'rmi', previous]); // the replaced image, if nothing else uses it
  const size = Number(runOk(podman, [...flags, 'image', 'inspect', '--format', '{{.Size}}', tag]));
  const seconds = (Date.now() - started) / 1000;
  say(`${tag} ${cached ? 'up to date' : 'built'} in ${seconds.toFixed(1)} s; size ${(size / 1e6).toFixed(1)} MB (${id?.slice(0, 12)})`);
  const summary = { tag, id, size, seconds, cached, engine: podman, engineFlags: flags, runFlags: [...ULIMITS, '--network', 'host'], bases };
  writeFileSync(join(CACHE, 'last-build.json'), JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write(json ? JSON.stringify(summary) + '\n' : `${tag}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
