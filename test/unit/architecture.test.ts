/**
 * The layout's promises, read from the source: serving bundles never reach training or offline
 * evaluation code, and the domain core imports nothing from AWS, ONNX Runtime or sharp.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const IMPORT = /(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) => m[1]);
}

/** Every project file reachable from `entry` through relative imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target);
    }
  };
  visit(entry);
  return seen;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const SERVING_HANDLERS = ['recommend', 'catalog', 'events', 'users', 'status', 'embed-image'];

describe('layout', () => {
  it('the core is split into job folders with no flat files left', () => {
    const core = join(root, 'functions/core');
    const entries = readdirSync(core);
    expect(entries.filter((e) => statSync(join(core, e)).isDirectory()).length).toBeGreaterThanOrEqual(4);
    expect(entries.filter((e) => e.endsWith('.ts'))).toEqual([]);
  });

  it.each(SERVING_HANDLERS)('the %s handler reaches no training or evaluation module', (name) => {
    const files = [...reachable(join(root, 'functions', name, 'handler.ts'))].map((f) => relative(root, f));
    expect(files.length).toBeGreaterThan(3);
    expect(files.filter((f) => /functions\/core\/(training|evaluation)\//.test(f))).toEqual([]);
  });

  it('the retrain handler does reach training (the walk follows imports)', () => {
    const files = [...reachable(join(root, 'functions/retrain/handler.ts'))].map((f) => relative(root, f));
    expect(files.some((f) => f.startsWith('functions/core/training/'))).toBe(true);
  });

  it('no core module imports AWS, ONNX Runtime or sharp', () => {
    const offenders = tsFiles(join(root, 'functions/core')).flatMap((f) =>
      importsOf(f)
        .filter((spec) => /^(@aws-sdk\/|@aws-lambda-powertools\/|aws-lambda|onnxruntime-node|sharp$)/.test(spec))
        .map((spec) => `${relative(root, f)} imports ${spec}`),
    );
    expect(offenders).toEqual([]);
  });

  it('every runtime dependency is imported (or, for served assets, read from node_modules) somewhere', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const sources = ['functions', 'bin', 'lib', 'layers', 'models'].flatMap((d) => (existsSync(join(root, d)) ? tsFiles(join(root, d)) : []));
    const specs = new Set(sources.flatMap(importsOf).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0])));
    const text = sources.map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = Object.keys(pkg.dependencies).filter((d) => !specs.has(d) && !text.includes(`'node_modules', '${d}'`));
    expect(unused).toEqual([]);
  });
});

