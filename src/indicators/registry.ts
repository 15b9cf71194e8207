import { z } from 'zod';
import { KtrdrError } from '../errors.js';
import { adxIndicator } from './adx.js';
import { aroonIndicator } from './aroon.js';
import { atrIndicator } from './atr.js';
import { bbandsIndicator, bollingerBandwidthIndicator } from './bollinger.js';
import { cciIndicator } from './cci.js';
import { donchianIndicator, keltnerIndicator } from './channels.js';
import { ichimokuIndicator } from './ichimoku.js';
import { macdIndicator } from './macd.js';
import { momentumIndicator, rocIndicator, rsiIndicator } from './momentum.js';
import { emaIndicator, smaIndicator, wmaIndicator } from './moving-averages.js';
import { fisherTransformIndicator, rviIndicator } from './oscillators.js';
import { psarIndicator } from './psar.js';
import { distanceFromMaIndicator, volumeRatioIndicator } from './ratios.js';
import { squeezeIntensityIndicator } from './squeeze.js';
import { stochasticIndicator, williamsRIndicator } from './stochastic.js';
import { supertrendIndicator } from './supertrend.js';
import { renameParamAliases, type IndicatorDefinition } from './types.js';
import { adLineIndicator, cmfIndicator, mfiIndicator, obvIndicator, vwapIndicator } from './volume.js';
import { zigzagIndicator } from './zigzag.js';

/** Every indicator family, keyed by registry name. Lookups are case-insensitive and accept aliases. */
const DEFINITIONS: readonly IndicatorDefinition[] = [
  smaIndicator,
  emaIndicator,
  wmaIndicator,
  rsiIndicator,
  macdIndicator,
  bbandsIndicator,
  atrIndicator,
  adxIndicator,
  stochasticIndicator,
  rocIndicator,
  momentumIndicator,
  williamsRIndicator,
  cciIndicator,
  obvIndicator,
  mfiIndicator,
  donchianIndicator,
  keltnerIndicator,
  aroonIndicator,
  psarIndicator,
  vwapIndicator,
  cmfIndicator,
  zigzagIndicator,
  bollingerBandwidthIndicator,
  distanceFromMaIndicator,
  volumeRatioIndicator,
  adLineIndicator,
  supertrendIndicator,
  rviIndicator,
  fisherTransformIndicator,
  squeezeIntensityIndicator,
  ichimokuIndicator,
];

export function listIndicators(): readonly IndicatorDefinition[] {
  return DEFINITIONS;
}

export function findIndicator(type: string): IndicatorDefinition | undefined {
  const wanted = type.toLowerCase();
  return DEFINITIONS.find((d) => d.type === wanted || (d.aliases ?? []).includes(wanted));
}

/** Like findIndicator, but an unknown type is an INDICATOR_UNKNOWN error that lists what is available. */
export function requireIndicator(type: string): IndicatorDefinition {
  const definition = findIndicator(type);
  if (definition) return definition;
  const available = DEFINITIONS.map((d) => d.type);
  throw new KtrdrError('INDICATOR_UNKNOWN', `Unknown indicator type '${type}'. Available: ${available.join(', ')}`, {
    details: { type, available },
    hint: 'Run `ktrdr indicators` to see every type with its parameters.',
  });
}

/** The parameter names a definition accepts, in declaration order. */
export function indicatorParamNames(definition: IndicatorDefinition): string[] {
  return definition.params instanceof z.ZodObject ? Object.keys(definition.params.shape) : [];
}

/**
 * Validates raw parameters (from a strategy file or the command line) and fills in defaults. Any problem is an
 * INDICATOR_PARAMS_INVALID error naming the offending keys; unknown keys are errors, never dropped.
 */
export function parseIndicatorParams(definition: IndicatorDefinition, raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const result = definition.params.safeParse(renameParamAliases(definition, raw));
  if (result.success) return result.data;
  const accepted = indicatorParamNames(definition);
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `'${k}'`).join(', ');
      return `unknown parameter${issue.keys.length > 1 ? 's' : ''} ${keys} (accepted: ${accepted.join(', ') || 'none'})`;
    }
    const path = issue.path.join('.');
    return path ? `'${path}': ${issue.message}` : issue.message;
  });
  throw new KtrdrError('INDICATOR_PARAMS_INVALID', `Invalid parameters for indicator '${definition.type}': ${problems.join('; ')}`, {
    details: { type: definition.type, accepted, issues: result.error.issues.map((i) => ({ path: i.path, message: i.message })) },
  });
}
