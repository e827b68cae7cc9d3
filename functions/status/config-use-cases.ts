/** `GET /config` and `PUT /config`: the business rules the next retrain uses, where they come from, and those serving now. */
import type { BusinessRulesStore, ModelStore } from '../core/domain/ports.js';
import { activeRules, DEFAULT_BUSINESS_RULES, type BusinessRules, type StoredBusinessRules } from '../core/ranking/business-rules.js';
import { readManifest } from '../core/snapshot/model-snapshot.js';

export interface ConfigDeps {
  rules: BusinessRulesStore;
  models: Pick<ModelStore, 'readPointer' | 'getFile'>;
  /** BUSINESS_RULES of the deployment, if set. */
  environment?: BusinessRules;
}

async function describeRules(deps: ConfigDeps, stored: StoredBusinessRules | undefined) {
  const active = activeRules(stored, deps.environment);
  const pointer = await deps.models.readPointer();
  const manifest = pointer ? await readManifest(deps.models, pointer.version) : undefined;
  const served = manifest?.rules;
  return {
    rules: active.settings,
    source: active.source,
    updated_at: stored?.updatedAt ?? null,
    updated_by: stored?.updatedBy ?? null,
    environment: deps.environment ?? null,
    defaults: DEFAULT_BUSINESS_RULES,
    serving: manifest
      ? { model_version: manifest.version, rules: served?.settings ?? null, source: served?.source ?? null, excluded: served?.excluded ?? null, allowed: served?.allowed ?? null }
      : null,
    // A version from before rules served none: the same as every rule off.
    pending_retrain: JSON.stringify(served?.settings ?? DEFAULT_BUSINESS_RULES) !== JSON.stringify(active.settings),
  };
}

export async function getConfig(deps: ConfigDeps) {
  return describeRules(deps, await deps.rules.read());
}

/** Stores a validated rule set (replacing the previous one whole). */
export async function putConfig(deps: ConfigDeps, rules: BusinessRules, updatedBy: string | undefined) {
  return describeRules(deps, await deps.rules.write(rules, updatedBy));
}
