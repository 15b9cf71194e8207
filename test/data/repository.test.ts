import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MarketDataRepository } from '../../src/data/repository.js';
import { projectRoot } from '../../src/util/package-info.js';

const HOURLY = [
  'timestamp,open,high,low,close,volume',
  '2020-01-01T00:00:00Z,1,2,0.5,1.5,10',
  '2020-01-01T23:00:00Z,1.5,2,1,1.2,10',
  '2020-01-02T00:00:00Z,1.2,1.3,1,1.1,10',
  '2020-01-02T23:00:00Z,1.1,1.4,1,1.3,10',
  '2020-01-03T00:00:00Z,1.3,1.5,1.2,1.4,10',
].join('\n');

describe(MarketDataRepository.name, () => {
  let dir: string;
  let sut: MarketDataRepository;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ktrdr-data-'));
    sut = new MarketDataRepository(dir);
    await writeFile(join(dir, 'TEST_1h.csv'), HOURLY);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should load the whole file when no range is given', async () => {
    const series = await sut.load('TEST', '1h');
    expect(series.timestamps.length).toBe(5);
    expect(series.symbol).toBe('TEST');
    expect(series.timeframe).toBe('1h');
  });

  it('should filter inclusively, with a date-only end covering the whole day', async () => {
    const series = await sut.load('TEST', '1h', { start: '2020-01-01T23:00:00Z', end: '2020-01-02' });
    expect([...series.timestamps]).toEqual([Date.UTC(2020, 0, 1, 23), Date.UTC(2020, 0, 2, 0), Date.UTC(2020, 0, 2, 23)]);
    const exact = await sut.load('TEST', '1h', { start: Date.UTC(2020, 0, 2), end: Date.UTC(2020, 0, 2) });
    expect([...exact.timestamps]).toEqual([Date.UTC(2020, 0, 2)]);
    const datetimeEnd = await sut.load('TEST', '1h', { end: '2020-01-02T00:00:00Z' });
    expect(datetimeEnd.timestamps.length).toBe(3);
  });

  it('should report an empty range with DATA_EMPTY_RANGE naming what the file covers', async () => {
    await expect(sut.load('TEST', '1h', { start: '2021-01-01' })).rejects.toMatchObject({
      code: 'DATA_EMPTY_RANGE',
      message: expect.stringContaining('covers 2020-01-01T00:00:00Z .. 2020-01-03T00:00:00Z'),
    });
    await expect(sut.load('TEST', '1h', { start: '2020-01-02', end: '2020-01-01' })).rejects.toMatchObject({ code: 'DATA_EMPTY_RANGE' });
    await expect(sut.load('TEST', '1h', { start: '2020-01-01T01:00:00Z', end: '2020-01-01T22:00:00Z' })).rejects.toMatchObject({ code: 'DATA_EMPTY_RANGE' });
  });

  it('should reject malformed range dates', async () => {
    await expect(sut.load('TEST', '1h', { start: '01/01/2020' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('should report a missing file with DATA_NOT_FOUND and the path', async () => {
    const error = await sut.load('TEST', '1d').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DATA_NOT_FOUND', details: { file: join(dir, 'TEST_1d.csv'), availableTimeframes: ['1h'] } });
    expect((error as Error).message).toContain(join(dir, 'TEST_1d.csv'));
    await expect(sut.load('NOPE', '1h')).rejects.toMatchObject({ code: 'DATA_NOT_FOUND' });
  });

  it('should refuse path tricks in symbols and timeframes before touching the file system', async () => {
    for (const [symbol, timeframe] of [['../TEST', '1h'], ['TEST/../TEST', '1h'], ['..', '1h'], ['TEST', '1h/../1h'], ['TEST', '../../etc/passwd']]) {
      await expect(sut.load(symbol, timeframe), `${symbol} ${timeframe}`).rejects.toMatchObject({ code: 'INVALID_NAME' });
    }
    expect(() => sut.filePath('a/b', '1h')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
  });

  it('should surface DATA_INVALID from a bad file with file and line', async () => {
    await writeFile(join(dir, 'BAD_1d.csv'), 'timestamp,open,high,low,close,volume\n2020-01-01,1,2,3,1.5,10\n');
    await expect(sut.load('BAD', '1d')).rejects.toMatchObject({ code: 'DATA_INVALID', details: { file: join(dir, 'BAD_1d.csv'), line: 2 } });
  });

  it('should list data files, splitting the timeframe off the last underscore', async () => {
    await writeFile(join(dir, 'ES_F_1d.csv'), HOURLY);
    await writeFile(join(dir, 'TEST_1d.csv'), HOURLY);
    await writeFile(join(dir, 'notes.txt'), 'x');
    await writeFile(join(dir, 'TEST_1M.csv'), HOURLY);
    const listed = await sut.list();
    expect(listed.map((f) => [f.symbol, f.timeframe])).toEqual([
      ['ES_F', '1d'],
      ['TEST', '1h'],
      ['TEST', '1d'],
    ]);
    expect(listed[1].file).toBe(join(dir, 'TEST_1h.csv'));
    expect(await new MarketDataRepository(join(dir, 'missing')).list()).toEqual([]);
  });

  it('should hash the file bytes', async () => {
    const expected = createHash('sha256').update(await readFile(join(dir, 'TEST_1h.csv'))).digest('hex');
    expect(await sut.sha256('TEST', '1h')).toBe(expected);
    const loaded = await sut.loadWithDigest('TEST', '1h', { start: '2020-01-02' });
    expect(loaded.sha256).toBe(expected);
    expect(loaded.series.timestamps.length).toBe(3);
  });

  it('should write a series that loads back identically', async () => {
    const series = await sut.load('TEST', '1h');
    const copy = { ...series, symbol: 'COPY' };
    const file = await sut.write(copy);
    expect(file).toBe(join(dir, 'COPY_1h.csv'));
    expect(await sut.load('COPY', '1h')).toEqual(copy);
  });

  it('should load the bundled S&P 500 daily file', async () => {
    const repo = new MarketDataRepository(join(projectRoot(), 'data'));
    const series = await repo.load('SPX', '1d');
    expect(series.timestamps.length).toBe(5105);
    expect(series.close[series.close.length - 1]).toBe(2874.560059);
    const y2008 = await repo.load('SPX', '1d', { start: '2008-01-01', end: '2008-12-31' });
    expect(y2008.timestamps.length).toBe(253);
  });
});
