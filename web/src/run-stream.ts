import { useEffect, useRef, useState } from 'preact/hooks';
import { API, get } from './api';
import type { OperationLogsResponse, OperationMetricsResponse, OperationResponse } from '../../src/contracts/operations';

type Progress = NonNullable<OperationResponse['progress']>;
type LogLine = OperationLogsResponse['lines'][number];
type Epoch = OperationMetricsResponse['epochs'][number];

/** Column arrays the charts draw from; appended to in place, one entry per epoch. */
export interface EpochColumns {
  readonly epoch: number[];
  readonly trainLoss: (number | null)[];
  readonly valLoss: (number | null)[];
  readonly trainAccuracy: (number | null)[];
  readonly valAccuracy: (number | null)[];
}

export type Connection = 'loading' | 'live' | 'reconnecting' | 'done';

export interface RunView {
  readonly operation: OperationResponse | undefined;
  readonly error: unknown;
  readonly progress: Progress | null;
  readonly logs: readonly LogLine[];
  readonly columns: EpochColumns;
  /** Changes whenever columns or logs were appended to. */
  readonly version: number;
  readonly connection: Connection;
  /** Re-reads the operation (after a cancel request). */
  refresh(): void;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

function emptyColumns(): EpochColumns {
  return { epoch: [], trainLoss: [], valLoss: [], trainAccuracy: [], valAccuracy: [] };
}

function appendEpoch(columns: EpochColumns, record: Epoch): void {
  // The stream can repeat nothing (seq cursor), but a snapshot and a stream may overlap: keep epochs increasing.
  const last = columns.epoch[columns.epoch.length - 1];
  if (last !== undefined && record.epoch <= last) return;
  const value = (v: number | null | undefined) => (typeof v === 'number' ? v : null);
  columns.epoch.push(record.epoch);
  columns.trainLoss.push(value(record.train_loss));
  columns.valLoss.push(value(record.val_loss));
  columns.trainAccuracy.push(value(record.train_accuracy));
  columns.valAccuracy.push(value(record.val_accuracy));
}

interface Saved {
  readonly cursor: number;
  readonly progress: Progress | null;
  readonly logs: LogLine[];
  readonly epochs: Epoch[];
}

/** What a reload needs to resume from the cursor instead of replaying the run: kept per tab, per operation. */
function savedKey(id: string): string {
  return `ktrdr.run.${id}`;
}

function restore(id: string): Saved | null {
  try {
    const text = sessionStorage.getItem(savedKey(id));
    return text === null ? null : (JSON.parse(text) as Saved);
  } catch {
    return null;
  }
}

/**
 * A run, live: the operation record, then its events over SSE from the last cursor this tab saw (0 the first time).
 * Events are applied in batches once per animation frame, so a fast run cannot flood the page with renders. A lost
 * connection shows as `reconnecting`; EventSource reconnects by itself and sends the last event id, so nothing is
 * missed or repeated.
 */
export function useRun(id: string): RunView {
  const [operation, setOperation] = useState<OperationResponse | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [version, setVersion] = useState(0);
  const [connection, setConnection] = useState<Connection>('loading');
  const [refreshTick, setRefreshTick] = useState(0);
  const columns = useRef<EpochColumns>(emptyColumns());
  const logs = useRef<LogLine[]>([]);

  useEffect(() => {
    let live = true;
    let source: EventSource | null = null;
    let frame = 0;
    let cursor = 0;
    let latestProgress: Progress | null = null;
    let saveTimer: ReturnType<typeof setTimeout> | undefined;
    const epochs: Epoch[] = [];
    columns.current = emptyColumns();
    logs.current = [];

    const flush = () => {
      frame = 0;
      if (!live) return;
      setProgress(latestProgress);
      setVersion((n) => n + 1);
    };
    const schedule = () => {
      if (frame === 0) frame = requestAnimationFrame(flush);
      saveTimer ??= setTimeout(save, 1000);
    };
    const save = () => {
      saveTimer = undefined;
      try {
        sessionStorage.setItem(savedKey(id), JSON.stringify({ cursor, progress: latestProgress, logs: logs.current, epochs } satisfies Saved));
      } catch {
        // Storage full or off: a reload then replays from the start, which is slower but complete.
      }
    };
    /** A finished run, read whole: the curves are drawn as soon as they arrive, not after the (longer) step log. */
    const loadFinal = async (known?: OperationResponse) => {
      const columnsDone = get<OperationMetricsResponse>(`/operations/${encodeURIComponent(id)}/metrics`).then((answer) => {
        if (!live) return;
        columns.current = emptyColumns();
        for (const record of answer.epochs) appendEpoch(columns.current, record);
        flush();
      });
      const logsDone = get<OperationLogsResponse>(`/operations/${encodeURIComponent(id)}/logs?level=info`).then((answer) => {
        if (!live) return;
        logs.current = answer.lines;
        flush();
      });
      const operationDone = (known ? Promise.resolve(known) : get<OperationResponse>(`/operations/${encodeURIComponent(id)}`)).then((op) => {
        if (!live) return;
        sessionStorage.removeItem(savedKey(id));
        latestProgress = op.progress;
        setOperation(op);
        setConnection('done');
        flush();
      });
      await Promise.all([operationDone, columnsDone, logsDone]);
    };
    const follow = () => {
      const saved = restore(id);
      if (saved !== null) {
        cursor = saved.cursor;
        latestProgress = saved.progress;
        logs.current = saved.logs;
        for (const record of saved.epochs) {
          epochs.push(record);
          appendEpoch(columns.current, record);
        }
        flush();
      }
      source = new EventSource(`${API}/operations/${encodeURIComponent(id)}/events?after=${cursor}`);
      source.onopen = () => live && setConnection('live');
      source.onerror = () => {
        if (live && source?.readyState !== EventSource.CLOSED) setConnection('reconnecting');
      };
      const seqOf = (event: MessageEvent) => Number(event.lastEventId) || cursor;
      const data = (event: MessageEvent) => (JSON.parse(event.data as string) as { data: unknown }).data;
      source.addEventListener('progress', (event) => {
        cursor = seqOf(event);
        latestProgress = data(event) as Progress;
        schedule();
      });
      source.addEventListener('log', (event) => {
        cursor = seqOf(event);
        const record = data(event) as { time: number | string; level: LogLine['level']; msg: string };
        if (record.level === 'info' || record.level === 'warn' || record.level === 'error' || record.level === 'fatal') {
          logs.current.push({ time: new Date(record.time).toISOString(), level: record.level, msg: record.msg });
        }
        schedule();
      });
      source.addEventListener('metric', (event) => {
        cursor = seqOf(event);
        const record = data(event) as Epoch;
        epochs.push(record);
        appendEpoch(columns.current, record);
        schedule();
      });
      source.addEventListener('status', (event) => {
        cursor = seqOf(event);
        const change = data(event) as { to: string };
        if (TERMINAL.has(change.to)) {
          source?.close();
          loadFinal().catch((failure: unknown) => live && setError(failure));
        } else {
          get<OperationResponse>(`/operations/${encodeURIComponent(id)}`).then(
            (op) => live && setOperation(op),
            () => undefined,
          );
        }
      });
    };

    get<OperationResponse>(`/operations/${encodeURIComponent(id)}`).then(
      (op) => {
        if (!live) return;
        // A finished run is shown once, with everything: no empty chart first.
        if (TERMINAL.has(op.status)) return loadFinal(op).catch((failure: unknown) => live && setError(failure));
        setOperation(op);
        follow();
      },
      (failure: unknown) => live && setError(failure),
    );
    return () => {
      live = false;
      source?.close();
      if (frame !== 0) cancelAnimationFrame(frame);
      if (saveTimer !== undefined) {
        clearTimeout(saveTimer);
        save();
      }
    };
  }, [id]);

  useEffect(() => {
    if (refreshTick === 0) return;
    get<OperationResponse>(`/operations/${encodeURIComponent(id)}`).then(setOperation, setError);
  }, [refreshTick, id]);

  return {
    operation,
    error,
    progress,
    logs: logs.current,
    columns: columns.current,
    version,
    connection,
    refresh: () => setRefreshTick((n) => n + 1),
  };
}
