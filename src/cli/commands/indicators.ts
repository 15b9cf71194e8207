import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { parseOhlcvCsv } from '../../data/csv.js';
import { formatTimestamp } from '../../data/timestamp.js';
import { KtrdrError } from '../../errors.js';
import { computeIndicatorColumns, parseIndicatorSpec } from '../../indicators/columns.js';
import { indicatorParamNames, listIndicators } from '../../indicators/registry.js';
import { table } from '../format.js';

/**
 * `ktrdr indicators <csv> --indicator rsi:period=14 ...` prints a CSV: timestamp plus one column per output
 * (`rsi_14`, `macd_12_26_9.line`, ...), empty cells for warm-up. Without a file it lists the indicator types.
 */
export function registerIndicatorsCommand(program: Command): void {
  program
    .command('indicators')
    .description('Compute indicators on an OHLCV CSV file and print them as CSV (no file: list indicator types)')
    .argument('[csv]', 'OHLCV file with timestamp,open,high,low,close,volume')
    .option(
      '-i, --indicator <spec>',
      'type[:key=value,...], repeatable, e.g. rsi:period=14',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .action(async (csv: string | undefined, options: { indicator: string[] }) => {
      if (csv === undefined) {
        const rows = listIndicators().map((d) => [d.type, indicatorParamNames(d).join(', ') || '-', d.outputs.join(', '), d.description]);
        process.stdout.write(table(['TYPE', 'PARAMS', 'OUTPUTS', 'DESCRIPTION'], rows));
        return;
      }
      if (options.indicator.length === 0) {
        throw new KtrdrError('VALIDATION_FAILED', 'give at least one --indicator, e.g. --indicator rsi:period=14', {
          hint: 'run `ktrdr indicators` without a file to list the types',
        });
      }
      const specs = options.indicator.map(parseIndicatorSpec);
      const series = parseOhlcvCsv(await readFile(csv), { file: csv, symbol: basename(csv).replace(/\.csv$/i, ''), timeframe: '1d' });
      const columns = computeIndicatorColumns(series, specs);
      const lines = [['timestamp', ...columns.map((c) => c.name)].join(',')];
      for (let i = 0; i < series.timestamps.length; i++) {
        const cells = [formatTimestamp(series.timestamps[i])];
        for (const column of columns) cells.push(formatCell(column.values[i]));
        lines.push(cells.join(','));
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}

/** Shortest text that reads back as the same float64; empty for NaN so spreadsheets see a blank. */
function formatCell(value: number): string {
  return Number.isNaN(value) ? '' : String(value);
}
