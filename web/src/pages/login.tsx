import { useState } from 'preact/hooks';
import { login } from '../api';
import { ErrorBox } from '../components/status';
import type { SessionState } from '../../../src/contracts/session';

/** Shown when the server requires tokens and this browser has no session; the token itself is never stored here. */
export function LoginPage({ onSignedIn }: { onSignedIn: (state: SessionState) => void }) {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const token = String(new FormData(form).get('token') ?? '').trim();
    setBusy(true);
    setError(undefined);
    login<SessionState>(token).then(
      (state) => {
        form.reset();
        onSignedIn(state);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(failure);
      },
    );
  };
  return (
    <section>
      <h1>Log in</h1>
      <p>
        This server requires an API token. An admin creates one on the server with <code>ktrdr tokens create</code>.
      </p>
      <form class="card form" onSubmit={submit} aria-label="Log in">
        <label>
          API token
          <input name="token" type="password" autoComplete="off" required autoFocus />
        </label>
        <button type="submit" disabled={busy}>
          Log in
        </button>
        {error !== undefined && <ErrorBox error={error} />}
      </form>
    </section>
  );
}
