import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followRemoteTraining, runRemoteTraining } from '../../src/cli/commands/remote-train.js';
import { longStrategy, spxStrategy, waitFor } from '../helpers/strategies.js';
import { startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';
import { runCliProcess as runCli } from '../helpers/cli-process.js';

function capture(): { write(text: string): void; text(): string } {
  let text = '';
  return { write: (chunk: string) => void (text += chunk), text: () => text };
}

describe('ktrdr ops and remote training against a running server', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({
      cli_tiny: spxStrategy('cli_tiny', { epochs: 5, earlyStopping: false }),
      cli_long: longStrategy('cli_long'),
      // Trains 2010-01-01 .. 2019-12-31, as SPX_RSI_STRATEGY does.
      cli_dated: spxStrategy('cli_dated'),
    });
  });
  afterAll(async () => server?.close());

  it('should follow a run with step lines, list it and show it', async () => {
    const id = await startTraining(server, { strategy_name: 'cli_tiny' });
    const follow = await runCli(['ops', 'follow', id, '--server', server.url]);
    expect(follow.code).toBe(0);
    // Progress on stderr, the outcome on stdout (so `ops follow x > result.txt` keeps just the result).
    expect(follow.stderr).toContain('Step 1/12: Validating strategy');
    expect(follow.stderr).toContain('Step 9/12: Training model');
    expect(follow.stderr).toMatch(/epoch 5: train_loss/);
    expect(follow.stderr).not.toContain('\u001b[');
    expect(follow.stdout).toMatch(/^Completed: model cli_tiny v1/);

    const list = await runCli(['ops', 'list', '--strategy', 'cli_tiny'], { KTRDR_SERVER: server.url });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+STRATEGY\s+STATUS/);
    expect(list.stdout).toContain(id);

    const show = await runCli(['ops', 'show', id, '--server', server.url]);
    expect(show.stdout).toMatch(/Status\s+completed/);
    expect(show.stdout).toMatch(/Model\s+cli_tiny v1/);

    const json = await runCli(['ops', 'follow', id, '--json', '--server', server.url]);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; seq?: number; data: { status?: string } });
    expect(lines.slice(0, -1).every((l) => typeof l.seq === 'number')).toBe(true);
    expect(lines[lines.length - 1]).toMatchObject({ kind: 'result', data: { status: 'completed' } });
  });

  it('should cancel a running operation and wait until it stopped', async () => {
    const id = await startTraining(server, { strategy_name: 'cli_long' });
    await waitFor(async () => ((await server.operation(id)).status === 'running' ? true : undefined), 'the run to start');
    const cancel = await runCli(['ops', 'cancel', id, '--server', server.url]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain(`Cancelled operation ${id}`);
    expect((await server.operation(id)).status).toBe('cancelled');
  });

  it('should report errors with their code and exit 1', async () => {
    const missing = await runCli(['ops', 'show', 'op_nope', '--server', server.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('OPERATION_NOT_FOUND');
    const unreachable = await runCli(['ops', 'list', '--server', 'http://127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('SERVER_UNREACHABLE');
  });

  it('should name a bad override as the option typed on the CLI and as the field in a request, starting nothing', async () => {
    const [cli, badDate, afterFileEnd] = await Promise.all([
      runCli(['train', 'cli_dated', '--server', server.url, '--json', '--start', '2020-13-45']),
      server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'cli_dated', start_date: '2021-02-30' } }),
      server.http('POST', '/api/v1/trainings/start', { json: { strategy_name: 'cli_dated', start_date: '2020-01-02' } }),
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^error \[VALIDATION_FAILED\]: --start must be an ISO date .* got '2020-13-45'$/m);
    expect(cli.stderr).not.toMatch(/line \d+/);
    expect(JSON.parse(cli.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      kind: 'error',
      error: { code: 'VALIDATION_FAILED', details: { problems: [{ option: '--start' }] } },
    });

    expect(badDate.status).toBe(400);
    expect(badDate.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'start_date' }] } } });
    expect(afterFileEnd.status).toBe(400);
    expect(afterFileEnd.body).toMatchObject({
      error: { code: 'VALIDATION_FAILED', message: "start_date '2020-01-02' is after the strategy's end_date '2019-12-31' (give end_date too)" },
    });
    expect((await server.http('GET', '/api/v1/operations?strategy=cli_dated')).body).toMatchObject({ total: 0 });
  });

  it('should end the --json output of a run that failed on the server with an error record', async () => {
    // Nothing in the data after 2020-04-17: the range is empty, which only the run itself finds out.
    const run = await runCli(['train', 'cli_tiny', '--server', server.url, '--json', '--start', '2030-01-01', '--end', '2030-12-31']);
    expect(run.code).toBe(1);
    const records = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; data?: { status?: string; error?: unknown }; error?: unknown });
    const [result, error] = records.slice(-2);
    expect(result).toMatchObject({ kind: 'result', data: { status: 'failed' } });
    expect(error).toEqual({ kind: 'error', error: result.data!.error });
    expect(error.error).toMatchObject({ code: expect.stringMatching(/^DATA_/), message: expect.any(String) });
  });

  it('should start and follow a remote training from the train command helpers', async () => {
    const out = capture();
    const code = await runRemoteTraining(server.url, { strategy_name: 'cli_tiny', epochs: 2 }, { out, progressOut: out, mode: 'plain' });
    expect(code).toBe(0);
    expect(out.text()).toMatch(/^Started training: op_training_/);
    expect(out.text()).toContain('Step 12/12: Packaging model artifact');
    expect(out.text()).toMatch(/Completed: model cli_tiny v\d/);

    const detached = capture();
    expect(await runRemoteTraining(server.url, { strategy_name: 'cli_tiny', epochs: 1 }, { out: detached, detach: true })).toBe(0);
    const id = /Started training: (\S+)/.exec(detached.text())![1];
    expect(detached.text()).toContain(`ktrdr ops follow ${id}`);
    expect(detached.text()).toContain(`Dashboard: ${server.url}/operations/${id}\n`);
    const json = capture();
    expect(await followRemoteTraining(server.url, id, { out: json, progressOut: json, mode: 'json' })).toBe(0);
    expect(
      json
        .text()
        .trim()
        .split('\n')
        .every((line) => JSON.parse(line)),
    ).toBe(true);
  });
});
