import { KtrdrError } from '../errors.js';
import { layerShapes, parameterCount, parseMlpSpec, type MlpSpec } from './spec.js';
import { flattenWeights, weightsFromFlat, type MlpWeights } from './weights.js';

/**
 * Weights ↔ bytes, for the model store to write as `weights.bin` next to a manifest holding the spec as JSON. No file
 * I/O here: the model store owns files, atomic writes and checksums.
 *
 * `weights.bin` layout: no header; little-endian IEEE-754 float32 values, for each Linear layer in order (hidden
 * layers from the input side, then the output layer): W as [outputs][inputs] row-major, then b as [outputs]. Its length
 * is therefore exactly 4 × Σ_layers (inputs·outputs + outputs) bytes, which is how a truncated file is recognised.
 * This is the same order as `flattenWeights` and as PyTorch's `state_dict` of the equivalent nn.Sequential.
 */

export const BYTES_PER_PARAMETER = 4;

export function encodeWeights(weights: MlpWeights): Uint8Array {
  const flat = flattenWeights(weights);
  const bytes = new Uint8Array(flat.length * BYTES_PER_PARAMETER);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < flat.length; i++) view.setFloat32(i * BYTES_PER_PARAMETER, flat[i], true);
  return bytes;
}

/**
 * Rebuilds weights from `weights.bin` bytes and the stored spec. Any mismatch means the stored model cannot be
 * trusted, so everything fails as MODEL_CORRUPT with the expected and actual sizes or the bad value's position.
 */
export function decodeWeights(specJson: unknown, bytes: Uint8Array): MlpWeights {
  const spec = parseMlpSpec(specJson, 'MODEL_CORRUPT');
  const expectedBytes = parameterCount(spec) * BYTES_PER_PARAMETER;
  if (bytes.byteLength !== expectedBytes) {
    throw new KtrdrError(
      'MODEL_CORRUPT',
      `weights.bin has ${bytes.byteLength} bytes but the model spec needs ${expectedBytes} ` +
        `(${parameterCount(spec)} float32 parameters for ${describeLayers(spec)})`,
      { details: { expectedBytes, actualBytes: bytes.byteLength } },
    );
  }
  const flat = new Float32Array(parameterCount(spec));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < flat.length; i++) {
    const value = view.getFloat32(i * BYTES_PER_PARAMETER, true);
    if (!Number.isFinite(value)) {
      throw new KtrdrError('MODEL_CORRUPT', `weights.bin holds a non-finite value (${value}) at ${locate(spec, i)}`, {
        details: { parameterIndex: i },
      });
    }
    flat[i] = value;
  }
  return weightsFromFlat(spec, flat);
}

/** The spec as plain, validated JSON data for the manifest (a fresh copy, so later changes cannot leak in). */
export function specToJson(spec: MlpSpec): MlpSpec {
  return parseMlpSpec(spec);
}

function describeLayers(spec: MlpSpec): string {
  return [spec.inputs, ...spec.hidden, spec.outputs].join('→');
}

/** "layer 1 W[3][7]" for a flat parameter index, so a corruption report points at the exact value. */
function locate(spec: MlpSpec, index: number): string {
  let offset = 0;
  const shapes = layerShapes(spec);
  for (let l = 0; l < shapes.length; l++) {
    const { inputs, outputs } = shapes[l];
    if (index < offset + inputs * outputs) {
      const within = index - offset;
      return `layer ${l} W[${Math.floor(within / inputs)}][${within % inputs}]`;
    }
    offset += inputs * outputs;
    if (index < offset + outputs) return `layer ${l} b[${index - offset}]`;
    offset += outputs;
  }
  return `parameter ${index}`;
}
