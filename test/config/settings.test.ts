import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';

describe(loadSettings.name, () => {
  it('should default every directory relative to the working directory', () => {
    expect(loadSettings({}, '/srv/ktrdr')).toEqual({
      dataDir: '/srv/ktrdr/data',
      strategiesDir: '/srv/ktrdr/strategies',
      homeDir: '/srv/ktrdr/.ktrdr',
      modelsDir: '/srv/ktrdr/models',
    });
  });

  it('should read the environment, resolving relative paths and ignoring empty values', () => {
    const settings = loadSettings(
      { KTRDR_DATA_DIR: '/mnt/data', KTRDR_STRATEGIES_DIR: 'my-strategies', KTRDR_HOME: ' ', KTRDR_MODELS_DIR: '../models' },
      '/srv/ktrdr',
    );
    expect(settings).toEqual({
      dataDir: '/mnt/data',
      strategiesDir: join('/srv/ktrdr', 'my-strategies'),
      homeDir: '/srv/ktrdr/.ktrdr',
      modelsDir: '/srv/models',
    });
  });
});
