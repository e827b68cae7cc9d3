/**
 * Pieces of the Lambda layer build (layers/build.ts), separated so the pruning and package
 * selection can be tested on a temp dir without building the real layer.
 *
 * Lambda caps a function's unzipped code + layers at 250 MB (262,144,000 bytes). onnxruntime-node
 * ships CPU binaries for every platform (288 MB unpacked), so the layer keeps one target's binaries.
 */
import { cpSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** Lambda's limit on function code + all its layers, unzipped, in bytes (250 MB as AWS counts it). */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 262_144_000;

/** The platform the layer is built for: Lambda nodejs22.x on x86_64 (Amazon Linux 2023, glibc). */
export interface Target {
  platform: NodeJS.Platform;
  arch: string;
  libc: 'glibc' | 'musl';
}
export const LAMBDA_X64: Target = { platform: 'linux', arch: 'x64', libc: 'glibc' };

/**
 * Dependencies used only by an install script, never at run time, left out of the layer:
 * onnxruntime-node's postinstall (which downloads CUDA libraries) needs adm-zip and global-agent.
 */
export const INSTALL_ONLY_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  'onnxruntime-node': ['adm-zip', 'global-agent'],
};

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

function readPkg(dir: string): PackageJson {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** npm's os/cpu/libc rule: a list allows its entries, `!x` denies x; an absent list allows all. */
function allows(list: string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const positives = list.filter((x) => !x.startsWith('!'));
  return positives.length === 0 || positives.includes(value);
}

/** Whether an installed package can run on the target (its package.json `os`, `cpu`, `libc`). */
export function supportsTarget(pkg: Pick<PackageJson, 'os' | 'cpu' | 'libc'>, target: Target): boolean {
  return allows(pkg.os, target.platform) && allows(pkg.cpu, target.arch) && allows(pkg.libc, target.libc);
}

/** A package to copy: its name and the folder it is installed in. */
export interface SelectedPackage {
  name: string;
  version: string;
  dir: string;
}

/**
 * The run-time dependency closure of `roots`, resolved like Node does (a package's own nested
 * `node_modules` first, then the top-level one). Optional dependencies are kept only when installed
 * and built for `target` (so sharp brings `@img/sharp-linux-x64` + `@img/sharp-libvips-linux-x64`,
 * not the musl, arm or darwin builds); {@link INSTALL_ONLY_DEPENDENCIES} are skipped.
 * @throws Error when a required dependency is not installed.
 */
export function selectPackages(nodeModules: string, roots: readonly string[], target: Target = LAMBDA_X64): SelectedPackage[] {
  const seen = new Map<string, SelectedPackage>();
  const resolve = (name: string, fromDir: string | undefined): string | undefined => {
    const candidates = [fromDir ? path.join(fromDir, 'node_modules', name) : undefined, path.join(nodeModules, name)];
    return candidates.find((c) => c && existsSync(path.join(c, 'package.json')));
  };
  const visit = (name: string, fromDir: string | undefined, optional: boolean, requiredBy: string): void => {
    const dir = resolve(name, fromDir);
    if (!dir) {
      if (optional) return;
      throw new Error(`${name} (needed by ${requiredBy}) is not installed under ${nodeModules}`);
    }
    if (seen.has(dir)) return;
    const pkg = readPkg(dir);
    if (!supportsTarget(pkg, target)) {
      if (optional) return;
      throw new Error(`${name} is required by ${requiredBy} but is not built for ${target.platform}-${target.arch}`);
    }
    seen.set(dir, { name, version: pkg.version, dir });
    const skip = new Set(INSTALL_ONLY_DEPENDENCIES[name] ?? []);
    for (const dep of Object.keys(pkg.dependencies ?? {})) if (!skip.has(dep)) visit(dep, dir, false, name);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) if (!skip.has(dep)) visit(dep, dir, true, name);
  };
  for (const r of roots) visit(r, undefined, false, 'the layer');
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Files and folders never needed at run time: TypeScript sources and declarations, source maps,
 * C++ sources, install/build scripts, docs. Licence files are kept. Matched on the path relative
 * to one package's folder.
 */
const JUNK_FILE = /(\.d\.ts|\.d\.mts|\.d\.cts|\.ts|\.map|\.md|\.markdown|\.gyp|\.gypi|\.cc|\.cpp|\.h)$/i;
const KEEP_FILE = /^(licen[cs]e|notice|copying)/i;
const JUNK_DIRS_BY_PACKAGE: Readonly<Record<string, readonly string[]>> = {
  'onnxruntime-node': ['script', 'lib'],
  sharp: ['src', 'install'],
};

/**
 * Removes other platforms' and architectures' native binaries from an onnxruntime-node folder:
 * `bin/napi-v*\/{platform}/{arch}` is kept for the target only. Returns the removed folders.
 */
export function pruneOnnxRuntimeBinaries(pkgDir: string, target: Target = LAMBDA_X64): string[] {
  const removed: string[] = [];
  const bin = path.join(pkgDir, 'bin');
  if (!existsSync(bin)) return removed;
  for (const napi of readdirSync(bin)) {
    const napiDir = path.join(bin, napi);
    if (!statSync(napiDir).isDirectory()) continue;
    for (const platform of readdirSync(napiDir)) {
      const platformDir = path.join(napiDir, platform);
      if (platform !== target.platform) {
        rmSync(platformDir, { recursive: true, force: true });
        removed.push(platformDir);
        continue;
      }
      for (const arch of readdirSync(platformDir)) {
        if (arch === target.arch) continue;
        const archDir = path.join(platformDir, arch);
        rmSync(archDir, { recursive: true, force: true });
        removed.push(archDir);
      }
    }
  }
  const kept = path.join(bin, 'napi-v6', target.platform, target.arch);
  if (!existsSync(kept) || !readdirSync(bin).some((n) => existsSync(path.join(bin, n, target.platform, target.arch)))) {
    throw new Error(`onnxruntime-node has no ${target.platform}/${target.arch} binary under ${bin}`);
  }
  return removed;
}

/** Deletes run-time-useless files from one copied package folder (see JUNK_FILE). Returns bytes freed. */
export function pruneJunk(pkgDir: string, pkgName: string): number {
  let freed = 0;
  for (const d of JUNK_DIRS_BY_PACKAGE[pkgName] ?? []) {
    const p = path.join(pkgDir, d);
    if (existsSync(p)) {
      freed += dirSize(p);
      rmSync(p, { recursive: true, force: true });
    }
  }
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (JUNK_FILE.test(e.name) && !KEEP_FILE.test(e.name)) {
        freed += lstatSync(p).size;
        rmSync(p, { force: true });
      }
    }
  };
  walk(pkgDir);
  return freed;
}

/** Apparent size in bytes of every file under `dir` (what Lambda counts as unzipped size). */
export function dirSize(dir: string): number {
  if (!existsSync(dir)) return 0;
  const st = lstatSync(dir);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : lstatSync(p).size;
  }
  return total;
}

/**
 * Copies the selected packages into `<layerDir>/nodejs/node_modules/` (each package's own nested
 * node_modules is left out: its needed contents are selected separately and placed at the same
 * relative path), then prunes binaries and junk. Returns the bytes per package after pruning.
 */
export function copyPackages(
  packages: readonly SelectedPackage[],
  nodeModules: string,
  layerDir: string,
  target: Target = LAMBDA_X64,
): Record<string, number> {
  const destRoot = path.join(layerDir, 'nodejs', 'node_modules');
  const sizes: Record<string, number> = {};
  for (const p of packages) {
    const rel = path.relative(nodeModules, p.dir);
    const dest = path.join(destRoot, rel);
    cpSync(p.dir, dest, {
      recursive: true,
      dereference: true,
      filter: (src) => !path.relative(p.dir, src).split(path.sep).includes('node_modules'),
    });
    if (p.name === 'onnxruntime-node') pruneOnnxRuntimeBinaries(dest, target);
    pruneJunk(dest, p.name);
    sizes[rel] = dirSize(dest);
  }
  return sizes;
}

/** Human-readable MB (10^6 bytes would mislead next to AWS's limit; we use MiB, labelled MB like AWS). */
export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
