import { isSeq, parseDocument, type Document } from 'yaml';

/** Per-run changes to a strategy, applied to its YAML so the snapshot stored with the model is exactly what ran. */
export interface StrategyOverrides {
  readonly symbols?: readonly string[];
  readonly timeframes?: readonly string[];
  readonly startDate?: string;
  readonly endDate?: string;
  readonly epochs?: number;
  readonly seed?: number;
}

/**
 * Rewrites the strategy text with the overrides. Without overrides the text is returned untouched (same sha256).
 * Changing the timeframes drops an explicit `base_timeframe` that is no longer among them, so the schema picks the
 * highest-frequency one again.
 */
export function applyOverrides(yamlText: string, overrides: StrategyOverrides): string {
  const entries = Object.entries(overrides).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return yamlText;
  const doc = parseDocument(yamlText);
  if (doc.errors.length > 0) return yamlText; // the strategy parser reports syntax errors with positions
  if (overrides.symbols) doc.setIn(['training_data', 'symbols'], [...overrides.symbols]);
  if (overrides.timeframes) {
    retargetSingleTimeframe(doc, overrides.timeframes);
    doc.setIn(['training_data', 'timeframes'], [...overrides.timeframes]);
    const base = doc.getIn(['training_data', 'base_timeframe']);
    if (typeof base === 'string' && !overrides.timeframes.includes(base)) doc.deleteIn(['training_data', 'base_timeframe']);
  }
  if (overrides.startDate) doc.setIn(['training_data', 'start_date'], overrides.startDate);
  if (overrides.endDate) doc.setIn(['training_data', 'end_date'], overrides.endDate);
  if (overrides.epochs !== undefined) doc.setIn(['training', 'epochs'], overrides.epochs);
  if (overrides.seed !== undefined) doc.setIn(['training', 'seed'], overrides.seed);
  return doc.toString();
}

/**
 * Training a one-timeframe strategy on another single timeframe (1d → 1h) is the common case of a timeframe
 * override, so explicit `nn_inputs[].timeframes: [1d]` lists follow it. Any other combination is left for the
 * validator to judge, which names the input that no longer fits.
 */
function retargetSingleTimeframe(doc: Document, timeframes: readonly string[]): void {
  const current = doc.getIn(['training_data', 'timeframes']);
  if (!isSeq(current) || current.items.length !== 1 || timeframes.length !== 1) return;
  const from = String(doc.getIn(['training_data', 'timeframes', 0]));
  const inputs = doc.get('nn_inputs');
  if (!isSeq(inputs)) return;
  inputs.items.forEach((_item, i) => {
    const list = doc.getIn(['nn_inputs', i, 'timeframes']);
    if (isSeq(list) && list.items.length === 1 && String(doc.getIn(['nn_inputs', i, 'timeframes', 0])) === from) {
      doc.setIn(['nn_inputs', i, 'timeframes'], [timeframes[0]]);
    }
  });
}
