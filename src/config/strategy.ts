import { createHash } from 'node:crypto';
import { LineCounter, parseDocument } from 'yaml';
import { KtrdrError } from '../errors.js';
import { describeValue, lineOfPath, parsePath, type StrategyProblem } from './problems.js';
import {
  ProblemList,
  SECTION_KEYS,
  checkDataSplit,
  checkFeatureCollisions,
  checkFuzzySets,
  checkIndicators,
  checkNnInputs,
  checkTrainingData,
  collectWarnings,
  declaredTimeframes,
  isMapping,
  parseSection,
  type Parsed,
} from './strategy-sections.js';
import type { z } from 'zod';
import { labelClasses } from '../labels/labeler.js';
import type { LrSchedulerConfig } from '../nn/lr-scheduler.js';
import type { TrainingLoss } from '../nn/loss.js';
import type { LrSchedulerSchema } from './strategy.schema.js';
import { checkLabels, toLabelSpec } from './strategy-labels.js';
import { registryCatalog, type ParseStrategyOptions, type Strategy } from './strategy-types.js';

export type { StrategyProblem } from './problems.js';
export { featureIds, rawFeatureId, registryCatalog } from './strategy-types.js';
export type {
  ClassWeights,
  IndicatorCatalog,
  ParseStrategyOptions,
  Strategy,
  StrategyDecisions,
  StrategyFuzzySet,
  StrategyIndicator,
  StrategyModel,
  Normalization,
  StrategyFuzzyInput,
  StrategyNnInput,
  StrategyRawInput,
  StrategySource,
  StrategyTraining,
  StrategyTrainingData,
} from './strategy-types.js';

function sortByLine(problems: StrategyProblem[]): StrategyProblem[] {
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort((x, y) => (x.problem.line ?? Infinity) - (y.problem.line ?? Infinity) || x.order - y.order)
    .map(({ problem }) => problem);
}

/** Where the format is documented: an example in the README, every key with its default and range in the schema. */
export const STRATEGY_FORMAT_HINT =
  'the format is in README.md, section "Strategy files", and every key with its default and range in src/config/strategy.schema.ts; `ktrdr strategies validate <file>` lists every problem';

function invalid(file: string, errors: StrategyProblem[]): KtrdrError {
  const count = `${errors.length} problem${errors.length === 1 ? '' : 's'}`;
  const lines = errors.map((e) => `  - ${e.path ? `${e.path}: ` : ''}${e.message}${e.line !== undefined ? ` (line ${e.line})` : ''}`);
  return new KtrdrError('STRATEGY_INVALID', `strategy ${file} is invalid (${count}):\n${lines.join('\n')}`, {
    details: { file, errors },
    hint: STRATEGY_FORMAT_HINT,
  });
}

/**
 * Parses and validates strategy YAML. `source` names the file in messages. Throws STRATEGY_INVALID listing every
 * problem (each with a path, a message naming what would be valid, and a line where one can be found).
 */
export function parseStrategy(yamlText: string, source = '<inline>', options: ParseStrategyOptions = {}): Strategy {
  const catalog = options.indicators ?? registryCatalog;
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw invalid(
      source,
      doc.errors.map((error) => {
        const position = error.linePos?.[0];
        const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return {
          path: '',
          message: position ? `YAML syntax error at line ${position.line}, column ${position.col}: ${message}` : `YAML syntax error: ${message}`,
          ...(position && { line: position.line }),
        };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw invalid(source, [{ path: '', message: `YAML could not be read: ${(error as Error).message}` }]);
  }
  if (!isMapping(raw)) {
    throw invalid(source, [{ path: '', message: `expected a mapping of sections (${SECTION_KEYS.join(', ')}), got ${describeValue(raw)}` }]);
  }

  const problems = new ProblemList();
  for (const key of Object.keys(raw)) {
    if (!(SECTION_KEYS as string[]).includes(key)) problems.add([key], `unknown key (allowed: ${SECTION_KEYS.join(', ')})`);
  }
  const name = parseSection('name', raw, problems);
  const version = parseSection('version', raw, problems);
  const description = parseSection('description', raw, problems);
  const conventions = parseSection('conventions', raw, problems);
  const trainingData = checkTrainingData(raw, problems);
  const indicators = checkIndicators(raw, catalog, problems);
  const fuzzySets = checkFuzzySets(raw, indicators, problems);
  const nnInputs = checkNnInputs(raw, declaredTimeframes(raw, trainingData), indicators, fuzzySets, problems);
  const model = parseSection('model', raw, problems);
  const decisions = parseSection('decisions', raw, problems);
  const training = parseSection('training', raw, problems);
  if (training) checkDataSplit(training, problems);
  if (training && decisions) checkLabels(training, decisions, labelClasses(training.labels.source)?.length ?? null, problems);

  const allIndicators = indicators ? [...indicators.resolved.values()] : [];
  const allFuzzySets = fuzzySets ? [...fuzzySets.resolved.values()] : [];
  if (nnInputs && fuzzySets) checkFeatureCollisions(allFuzzySets, nnInputs, problems);

  const locate = (problem: StrategyProblem): StrategyProblem => {
    if (problem.line !== undefined) return problem;
    const line = lineOfPath(doc, lineCounter, parsePath(problem.path));
    return line === undefined ? problem : { ...problem, line };
  };
  if (problems.errors.length > 0) throw invalid(source, sortByLine(problems.errors.map(locate)));

  // Every section parsed and every reference resolved; the assertions below only narrow types.
  if (
    name === undefined ||
    version === undefined ||
    description === undefined ||
    conventions === undefined ||
    !trainingData ||
    !indicators ||
    !fuzzySets ||
    !nnInputs ||
    !model ||
    !decisions ||
    !training
  ) {
    throw new Error('strategy validation passed with a section missing');
  }
  if (options.expectedName !== undefined && options.expectedName !== name) {
    problems.warn(['name'], `'${name}' differs from the file name '${options.expectedName}'; models will be stored as '${name}'`);
  }
  collectWarnings(allIndicators, allFuzzySets, nnInputs, problems);
  return {
    name,
    version,
    description,
    conventions,
    trainingData,
    indicators: allIndicators,
    fuzzySets: allFuzzySets,
    nnInputs,
    model: { type: model.type, hiddenLayers: model.hidden_layers, activation: model.activation, dropout: model.dropout },
    decisions: {
      outputFormat: decisions.output_format,
      ...(decisions.confidence_threshold !== undefined && { confidenceThreshold: decisions.confidence_threshold }),
      ...(decisions.cost_model && {
        costModel: { roundTripCost: decisions.cost_model.round_trip_cost, minEdgeMultiplier: decisions.cost_model.min_edge_multiplier },
      }),
    },
    training: {
      epochs: training.epochs,
      batchSize: training.batch_size,
      learningRate: training.learning_rate,
      optimizer: training.optimizer,
      ...(training.momentum !== undefined && { momentum: training.momentum }),
      weightDecay: training.weight_decay,
      loss: toTrainingLoss(training, decisions.output_format),
      ...(training.lr_scheduler !== undefined && { lrScheduler: toLrScheduler(training.lr_scheduler, training.epochs) }),
      earlyStopping: {
        enabled: training.early_stopping.enabled,
        patience: training.early_stopping.patience,
        minDelta: training.early_stopping.min_delta,
      },
      checkpoint: { everyEpochs: training.checkpoint.every_epochs, everySeconds: training.checkpoint.every_seconds },
      gradientClip: training.gradient_clip,
      classWeights: training.class_weights,
      importanceRepeats: training.importance_repeats,
      seed: training.seed,
      backend: training.backend,
      ...(training.threads !== undefined && { threads: training.threads }),
      dataSplit: {
        train: training.data_split.train,
        validation: training.data_split.validation,
        test: training.data_split.test,
        embargoBars: training.data_split.embargo_bars,
      },
      labels: toLabelSpec(training.labels),
    },
    source: { text: yamlText, sha256: createHash('sha256').update(yamlText, 'utf8').digest('hex'), file: source },
    warnings: problems.warnings.map(locate),
  };
}

/** The schema's snake_case scheduler as the trainer's config; cosine's period defaults to the epoch count. */
function toLrScheduler(scheduler: z.output<typeof LrSchedulerSchema>, epochs: number): LrSchedulerConfig {
  switch (scheduler.type) {
    case 'step':
      return { type: 'step', stepSize: scheduler.step_size, gamma: scheduler.gamma };
    case 'exponential':
      return { type: 'exponential', gamma: scheduler.gamma };
    case 'reduce_on_plateau':
      return { type: 'reduce_on_plateau', factor: scheduler.factor, patience: scheduler.patience, minLr: scheduler.min_lr };
    case 'cosine':
      return { type: 'cosine', tMax: scheduler.t_max ?? epochs, etaMin: scheduler.eta_min };
  }
}

/** The loss to minimise; an absent `loss` means the output format's default (cross-entropy, or huber for regression). */
function toTrainingLoss(training: Parsed<'training'>, outputFormat: 'classification' | 'regression'): TrainingLoss {
  const kind = training.loss ?? (outputFormat === 'regression' ? 'huber' : 'cross_entropy');
  switch (kind) {
    case 'focal':
      return { kind: 'focal', gamma: training.focal_gamma };
    case 'huber':
      return { kind: 'huber', delta: training.huber_delta };
    case 'mse':
      return { kind: 'mse' };
    case 'cross_entropy':
      return { kind: 'cross_entropy' };
  }
}
