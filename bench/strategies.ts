/** The small SPX/RSI strategy the benchmarks train: epochs of a millisecond or two on the bundled daily data. */
export function spxRsiStrategy(options: { name: string; epochs: number; learningRate: number; zigzagThreshold: number }): string {
  return `
name: ${options.name}
training_data: {symbols: [SPX], timeframes: [1d], start_date: "2010-01-01", end_date: "2019-12-31"}
indicators:
  rsi_14: {type: rsi, period: 14}
fuzzy_sets:
  rsi_zone: {indicator: rsi_14, oversold: [0, 25, 40], neutral: [30, 50, 70], overbought: [60, 75, 100]}
nn_inputs:
  - {fuzzy_set: rsi_zone, timeframes: all}
model: {type: mlp, hidden_layers: [8], activation: relu, dropout: 0.1}
training:
  epochs: ${options.epochs}
  early_stopping: {enabled: false}
  batch_size: 32
  learning_rate: ${options.learningRate}
  seed: 7
  labels: {source: zigzag, zigzag_threshold: ${options.zigzagThreshold}, price: close}
`;
}
