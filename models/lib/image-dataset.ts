/**
 * Reads a labelled image folder laid out like ../shared/data/product-images-clothing*:
 * `manifest.csv` (file,label,width,height,bytes,sha256) + `images/<label>/<file>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ImageRecord {
  /** Path relative to the dataset folder, as in manifest.csv. */
  file: string;
  label: string;
  /** Absolute path. */
  path: string;
  sha256: string;
}

export interface ImageDataset {
  dir: string;
  /** sha256 of manifest.csv: identifies the exact image set measured. */
  manifestSha256: string;
  records: ImageRecord[];
}

/** True when `dir` looks like a dataset folder (has manifest.csv). */
export function hasImageDataset(dir: string): boolean {
  return existsSync(path.join(dir, 'manifest.csv'));
}

/** Load the manifest, sorted by file (the manifest's own order), checking that every image exists. */
export function readImageDataset(dir: string): ImageDataset {
  const abs = path.resolve(dir);
  const manifestBytes = readFileSync(path.join(abs, 'manifest.csv'));
  const lines = manifestBytes.toString('utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${dir}/manifest.csv has no '${name}' column`);
    return i;
  };
  const [fileCol, labelCol, shaCol] = [col('file'), col('label'), col('sha256')];
  const records = lines.slice(1).map((line) => {
    const cells = line.split(',');
    const record = { file: cells[fileCol], label: cells[labelCol], path: path.join(abs, cells[fileCol]), sha256: cells[shaCol] };
    if (!existsSync(record.path)) throw new Error(`image listed in manifest is missing: ${record.path}`);
    return record;
  });
  return { dir: abs, manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'), records };
}
