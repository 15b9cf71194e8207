import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.js';
import { MarketDataRepository } from '../../data/repository.js';
import { writeSyntheticDataFiles } from '../../data/synth-files.js';
import { displayPath, integerOption, listOption, table } from '../format.js';

/** `ktrdr data synth` and `ktrdr data list`. */
export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('Market data files ({SYMBOL}_{TIMEFRAME}.csv in the data directory)');

  data
    .command('synth')
    .description('Write seeded synthetic FX-like bars, plus exact resamples to longer timeframes')
    .option('--symbol <symbol>', 'symbol to write', 'EURUSD')
    .option('--timeframe <timeframe>', 'timeframe of the generated bars (1d or shorter)', '1h')
    .option('--bars <n>', 'number of bars to generate', '20000')
    .option('--seed <n>', 'random seed', '7')
    .option('--start <iso>', 'open time of the first bar (UTC)', '2018-01-01T00:00:00Z')
    .option('--resample <timeframes>', 'comma-separated longer timeframes to write as resamples', '4h,1d')
    .option('--out-dir <dir>', 'directory to write to (default: KTRDR_DATA_DIR or ./data)')
    .option('--force', 'overwrite existing files', false)
    .action(
      async (options: {
        symbol: string;
        timeframe: string;
        bars: string;
        seed: string;
        start: string;
        resample: string;
        outDir?: string;
        force: boolean;
      }) => {
        const repository = new MarketDataRepository(options.outDir ?? loadSettings().dataDir);
        const written = await writeSyntheticDataFiles(repository, {
          symbol: options.symbol,
          timeframe: options.timeframe,
          bars: integerOption('--bars', options.bars, 1, 10_000_000),
          seed: integerOption('--seed', options.seed, 0, 0xffffffff),
          start: options.start,
          resampleTo: listOption(options.resample) ?? [],
          overwrite: options.force,
        });
        for (const file of written) {
          process.stdout.write(`wrote ${displayPath(file.file)}: ${file.bars} bars, sha256 ${file.sha256.slice(0, 12)}\n`);
        }
      },
    );

  data
    .command('list')
    .description('List the data files in the data directory')
    .option('--dir <dir>', 'data directory (default: KTRDR_DATA_DIR or ./data)')
    .action(async (options: { dir?: string }) => {
      const repository = new MarketDataRepository(options.dir ?? loadSettings().dataDir);
      const files = await repository.list();
      if (files.length === 0) {
        process.stdout.write(`no data files in ${repository.dataDir}\n`);
        return;
      }
      const rows = files.map((f) => [f.symbol, f.timeframe, `${(f.sizeBytes / 1024).toFixed(0)} KiB`, displayPath(f.file)]);
      process.stdout.write(table(['SYMBOL', 'TIMEFRAME', 'SIZE', 'FILE'], rows));
    });
}
