import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/util/package-info.js';

const SCRIPT = join(projectRoot(), 'scripts', 'ensure-system-packages.sh');

/**
 * scripts/ensure-system-packages.sh, run with stand-ins for `id` and `apt-get` first on PATH: the user it runs as and
 * what the package manager does are the test's, so nothing is installed and no network is used.
 */
describe('scripts/ensure-system-packages.sh', () => {
  let bin: string;

  beforeEach(async () => {
    bin = await mkdtemp(join(tmpdir(), 'ktrdr-pkgs-'));
  });
  afterEach(async () => rm(bin, { recursive: true, force: true }));

  async function fake(name: string, body: string): Promise<void> {
    await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(bin, name), 0o755);
  }

  /** An apt-get that logs its calls; `install` creates a command per package unless told not to. */
  async function fakeAptGet(provides: boolean): Promise<void> {
    const install = provides ? `for p in "$@"; do printf '#!/bin/sh\\n' > "${bin}/$p"; chmod +x "${bin}/$p"; done` : ':';
    await fake(
      'apt-get',
      `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> "${bin}/apt.log"
if [ "$1" = install ]; then shift 3; ${install}; fi`,
    );
  }

  function run(...specs: string[]) {
    return spawnSync(SCRIPT, specs, { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
  }

  async function asUser(uid: number): Promise<void> {
    await fake('id', `echo ${uid}`);
  }

  it('should do nothing when every command is there, under its own name or at a path', async () => {
    await asUser(1000);
    const result = run('sh', 'coreutils:ls', 'dash:/bin/sh');
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('should stop, naming each missing package once, when it cannot install them', async () => {
    await asUser(1000);
    await fakeAptGet(true);
    const result = run('ktrdr-missing-a', 'ktrdr-tools:ktrdr-missing-b', 'ktrdr-tools:ktrdr-missing-c', 'sh');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('missing system package(s): ktrdr-missing-a ktrdr-tools\n');
    expect(result.stderr).toContain('sudo apt-get install ktrdr-missing-a ktrdr-tools)');
    expect(existsSync(join(bin, 'apt.log'))).toBe(false);
  });

  it.runIf(existsSync('/etc/debian_version'))('should install the missing packages with apt-get as root on Debian', async () => {
    await asUser(0);
    await fakeAptGet(true);
    const result = run('ktrdr-missing-a', 'sh', 'ktrdr-missing-b');
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('installing ktrdr-missing-a ktrdr-missing-b');
    expect(await readFile(join(bin, 'apt.log'), 'utf8')).toBe(
      'DEBIAN_FRONTEND= update\nDEBIAN_FRONTEND=noninteractive install -y --no-install-recommends ktrdr-missing-a ktrdr-missing-b\n',
    );
  });

  it.runIf(existsSync('/etc/debian_version'))('should fail when an installed package still leaves its command missing', async () => {
    await asUser(0);
    await fakeAptGet(false);
    const result = run('ktrdr-tools:ktrdr-missing-b');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the command of ktrdr-tools is still missing');
  });
});
