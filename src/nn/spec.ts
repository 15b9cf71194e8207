import { KtrdrError, type ErrorCode } from '../errors.js';

/**
 * The backend-neutral description of a multi-layer perceptron. Pure data, so it can go into a model manifest as JSON
 * and come back unchanged: every backend and the serialiser agree on a model through this shape alone.
 *
 * Layers: for each width in `hidden`, Linear → activation → dropout; then a final Linear to `outputs` raw logits
 * (class scores), or to one real value for a regression model.
 */
export interface MlpSpec {
  readonly inputs: number;
  readonly hidden: readonly number[];
  readonly outputs: number;
  readonly activation: Activation;
  /** Dropout probability after every hidden activation; applied only while training. */
  readonly dropout: number;
}

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'leaky_relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Negative slope of `leaky_relu`; PyTorch's default, which the original models used. */
export const LEAKY_RELU_SLOPE = 0.01;

/** Shape of one Linear layer: W is [outputs][inputs] row-major, b is [outputs]. */
export interface LayerShape {
  readonly inputs: number;
  readonly outputs: number;
}

/** Guards against absurd sizes from a corrupt manifest before anything is allocated. */
const MAX_LAYER_WIDTH = 1_000_000;
const MAX_PARAMETERS = 100_000_000;

export function layerShapes(spec: MlpSpec): LayerShape[] {
  const widths = [spec.inputs, ...spec.hidden, spec.outputs];
  const shapes: LayerShape[] = [];
  for (let l = 0; l + 1 < widths.length; l++) shapes.push({ inputs: widths[l], outputs: widths[l + 1] });
  return shapes;
}

export function parameterCount(spec: MlpSpec): number {
  let count = 0;
  for (const { inputs, outputs } of layerShapes(spec)) count += inputs * outputs + outputs;
  return count;
}

/**
 * Checks an untrusted value (a request, a manifest read from disk) and returns it as a spec. The error code is the
 * caller's: a bad spec in a request is VALIDATION_FAILED, a bad spec in a stored model is MODEL_CORRUPT.
 */
export function parseMlpSpec(value: unknown, errorCode: ErrorCode = 'VALIDATION_FAILED'): MlpSpec {
  const fail = (message: string): never => {
    throw new KtrdrError(errorCode, `Invalid network spec: ${message}`, { details: { spec: value } });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected an object');
  const record = value as Record<string, unknown>;
  const known = new Set(['inputs', 'hidden', 'outputs', 'activation', 'dropout']);
  for (const key of Object.keys(record)) if (!known.has(key)) fail(`unknown key "${key}"`);

  const width = (name: string, raw: unknown, min: number): number => {
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > MAX_LAYER_WIDTH) {
      fail(`${name} must be an integer in [${min}, ${MAX_LAYER_WIDTH}], got ${JSON.stringify(raw)}`);
    }
    return raw as number;
  };
  const inputs = width('inputs', record.inputs, 1);
  // One output is a regression head (a real-valued prediction); classifiers have at least two classes.
  const outputs = width('outputs', record.outputs, 1);
  if (!Array.isArray(record.hidden)) return fail('hidden must be an array of layer widths');
  const hidden = record.hidden.map((h: unknown, i: number) => width(`hidden[${i}]`, h, 1));
  const activation = record.activation;
  if (typeof activation !== 'string' || !(ACTIVATIONS as readonly string[]).includes(activation)) {
    fail(`activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`);
  }
  const dropout = record.dropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    fail(`dropout must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  }
  const spec: MlpSpec = { inputs, hidden, outputs, activation: activation as Activation, dropout: dropout as number };
  if (parameterCount(spec) > MAX_PARAMETERS) fail(`more than ${MAX_PARAMETERS} parameters`);
  return spec;
}
