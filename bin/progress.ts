/**
 * The progress bar of the long-running CLIs (batch, eval, eval:images, bench:retrain, models):
 * cli-progress, also printing periodically when stdout is not a terminal (CI logs), or nothing at
 * all when disabled.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number, value?: number, payload?: object): void;
  update(value: number, payload?: object): void;
  stop(): void;
}

const SILENT: Progress = { start: () => undefined, update: () => undefined, stop: () => undefined };

/** A bar with `format` (cli-progress tokens: {bar} {value} {total} {duration_formatted} …). */
export function progressBar(format: string, options: { enabled?: boolean; notTTYScheduleMs?: number } = {}): Progress {
  if (options.enabled === false) return SILENT;
  return new cliProgress.SingleBar({ format, noTTYOutput: true, notTTYSchedule: options.notTTYScheduleMs ?? 5000 }, cliProgress.Presets.shades_classic);
}
