import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  copyPackages,
  dirSize,
  LAMBDA_X64,
  pruneOnnxRuntimeBinaries,
  selectPackages,
  supportsTarget,
} from '../../layers/layer.js';

let root: string;
const write = (rel: string, content: string | number) => {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, typeof content === 'number' ? Buffer.alloc(content) : content);
};
const pkg = (dir: string, json: object) => write(`${dir}/package.json`, JSON.stringify(json));

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'layer-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A fake node_modules shaped like the real one: ORT with every platform, sharp with optional builds. */
function fakeNodeModules(): string {
  const nm = 'node_modules';
  pkg(`${nm}/onnxruntime-node`, {
    name: 'onnxruntime-node',
    version: '1.30.0',
    dependencies: { 'adm-zip': '*', 'global-agent': '*', 'onnxruntime-common': '1.30.0' },
  });
  write(`${nm}/onnxruntime-node/dist/index.js`, 'module.exports = {}');
  write(`${nm}/onnxruntime-node/dist/index.js.map`, 100);
  write(`${nm}/onnxruntime-node/dist/index.d.ts`, 100);
  write(`${nm}/onnxruntime-node/script/install.js`, 100);
  write(`${nm}/onnxruntime-node/LICENSE`, 'MIT');
  for (const [plat, arch, bytes] of [
    ['linux', 'x64', 1000],
    ['linux', 'arm64', 2000],
    ['darwin', 'arm64', 3000],
    ['win32', 'x64', 4000],
    ['win32', 'arm64', 5000],
  ] as const) {
    write(`${nm}/onnxruntime-node/bin/napi-v6/${plat}/${arch}/onnxruntime_binding.node`, bytes);
  }
  pkg(`${nm}/onnxruntime-common`, { name: 'onnxruntime-common', version: '1.30.0' });
  pkg(`${nm}/adm-zip`, { name: 'adm-zip', version: '0.6.0' });
  pkg(`${nm}/global-agent`, { name: 'global-agent', version: '4.1.3' });
  pkg(`${nm}/sharp`, {
    name: 'sharp',
    version: '0.35.5',
    dependencies: { 'detect-libc': '*', semver: '*' },
    optionalDependencies: {
      '@img/sharp-linux-x64': '*',
      '@img/sharp-linuxmusl-x64': '*',
      '@img/sharp-linux-arm64': '*',
      '@img/sharp-darwin-arm64': '*', // not installed: skipped silently
    },
  });
  write(`${nm}/sharp/src/binding.gyp`, 10);
  write(`${nm}/sharp/dist/index.cjs`, 'x');
  pkg(`${nm}/@img/sharp-linux-x64`, {
    name: '@img/sharp-linux-x64',
    version: '0.35.5',
    os: ['linux'],
    cpu: ['x64'],
    libc: ['glibc'],
    optionalDependencies: { '@img/sharp-libvips-linux-x64': '*' },
  });
  pkg(`${nm}/@img/sharp-libvips-linux-x64`, { name: '@img/sharp-libvips-linux-x64', version: '1.3.4', os: ['linux'], cpu: ['x64'], libc: ['glibc'] });
  pkg(`${nm}/@img/sharp-linuxmusl-x64`, { name: '@img/sharp-linuxmusl-x64', version: '0.35.5', os: ['linux'], cpu: ['x64'], libc: ['musl'] });
  pkg(`${nm}/@img/sharp-linux-arm64`, { name: '@img/sharp-linux-arm64', version: '0.35.5', os: ['linux'], cpu: ['arm64'] });
  pkg(`${nm}/detect-libc`, { name: 'detect-libc', version: '2.1.2' });
  // semver nested under sharp (a version conflict): resolved from sharp's own node_modules.
  pkg(`${nm}/sharp/node_modules/semver`, { name: 'semver', version: '7.8.6' });
  pkg(`${nm}/semver`, { name: 'semver', version: '6.0.0' });
  return path.join(root, nm);
}

describe('supportsTarget', () => {
  it('applies npm os/cpu/libc rules, including negations', () => {
    expect(supportsTarget({}, LAMBDA_X64)).toBe(true);
    expect(supportsTarget({ os: ['linux'], cpu: ['x64'], libc: ['glibc'] }, LAMBDA_X64)).toBe(true);
    expect(supportsTarget({ libc: ['musl'] }, LAMBDA_X64)).toBe(false);
    expect(supportsTarget({ cpu: ['arm64'] }, LAMBDA_X64)).toBe(false);
    expect(supportsTarget({ os: ['!win32'] }, LAMBDA_X64)).toBe(true);
    expect(supportsTarget({ os: ['!linux'] }, LAMBDA_X64)).toBe(false);
  });
});

describe('selectPackages', () => {
  it('takes the run-time closure for linux-x64 glibc only', () => {
    const nm = fakeNodeModules();
    const sel = selectPackages(nm, ['onnxruntime-node', 'sharp']);
    expect(sel.map((p) => `${p.name}@${p.version}`)).toEqual([
      '@img/sharp-libvips-linux-x64@1.3.4',
      '@img/sharp-linux-x64@0.35.5',
      'detect-libc@2.1.2',
      'onnxruntime-common@1.30.0',
      'onnxruntime-node@1.30.0',
      'semver@7.8.6', // the nested one sharp resolves, not the top-level 6.0.0
      'sharp@0.35.5',
    ]);
  });
  it('fails when a required dependency is missing', () => {
    const nm = fakeNodeModules();
    rmSync(path.join(nm, 'onnxruntime-common'), { recursive: true });
    expect(() => selectPackages(nm, ['onnxruntime-node'])).toThrow(/onnxruntime-common.*not installed/);
  });
});

describe('pruneOnnxRuntimeBinaries', () => {
  it('keeps only bin/napi-v6/linux/x64', () => {
    const nm = fakeNodeModules();
    const ort = path.join(nm, 'onnxruntime-node');
    const removed = pruneOnnxRuntimeBinaries(ort);
    expect(removed.map((r) => path.relative(ort, r)).sort()).toEqual(
      ['bin/napi-v6/darwin', 'bin/napi-v6/linux/arm64', 'bin/napi-v6/win32'].map((p) => p.split('/').join(path.sep)),
    );
    expect(dirSize(path.join(ort, 'bin'))).toBe(1000);
  });
  it('fails if the target binary is absent', () => {
    const nm = fakeNodeModules();
    const ort = path.join(nm, 'onnxruntime-node');
    rmSync(path.join(ort, 'bin/napi-v6/linux/x64'), { recursive: true });
    expect(() => pruneOnnxRuntimeBinaries(ort)).toThrow(/no linux\/x64 binary/);
  });
});

describe('copyPackages', () => {
  it('copies into nodejs/node_modules, nested deps in place, and prunes junk and binaries', () => {
    const nm = fakeNodeModules();
    const layer = path.join(root, 'layer');
    const sel = selectPackages(nm, ['onnxruntime-node', 'sharp']);
    const sizes = copyPackages(sel, nm, layer);
    const out = (rel: string) => path.join(layer, 'nodejs/node_modules', rel);
    expect(existsSync(out('onnxruntime-node/dist/index.js'))).toBe(true);
    expect(existsSync(out('onnxruntime-node/LICENSE'))).toBe(true);
    expect(existsSync(out('onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'))).toBe(true);
    expect(existsSync(out('onnxruntime-node/bin/napi-v6/win32'))).toBe(false);
    expect(existsSync(out('onnxruntime-node/dist/index.js.map'))).toBe(false);
    expect(existsSync(out('onnxruntime-node/dist/index.d.ts'))).toBe(false);
    expect(existsSync(out('onnxruntime-node/script'))).toBe(false);
    expect(existsSync(out('sharp/src'))).toBe(false);
    expect(existsSync(out('adm-zip'))).toBe(false);
    expect(existsSync(out('@img/sharp-linuxmusl-x64'))).toBe(false);
    expect(existsSync(out('sharp/node_modules/semver/package.json'))).toBe(true);
    expect(existsSync(out('semver'))).toBe(false);
    expect(sizes['onnxruntime-node']).toBeLessThan(2000);
  });
});
