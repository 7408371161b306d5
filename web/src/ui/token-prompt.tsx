import { useEffect, useRef, useState } from 'preact/hooks';
import { subscribePrompt, submitToken, type PromptState } from '../api/auth.js';

/**
 * The token dialog: shown when the server answers 401. The token stays in this tab's
 * sessionStorage and travels only in the Authorization header.
 */
export function TokenPrompt() {
  const [state, setState] = useState<PromptState>({ reason: null });
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => subscribePrompt(setState), []);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (state.reason !== null && !d.open) {
      d.showModal();
      input.current?.focus();
    } else if (state.reason === null && d.open) d.close();
  }, [state.reason]);
  const onSubmit = (event: Event) => {
    event.preventDefault();
    const value = input.current?.value.trim() ?? '';
    if (value === '') return;
    if (input.current) input.current.value = '';
    submitToken(value);
  };
  return (
    <dialog ref={dialog} class="token-dialog" aria-labelledby="token-title" onCancel={(e) => e.preventDefault()}>
      <form onSubmit={onSubmit}>
        <h2 id="token-title">Access token</h2>
        <p>
          This server needs its bearer token. It is kept in this browser tab only (sessionStorage) and sent in the Authorization header,
          never in a URL.
        </p>
        {state.reason === 'rejected' && (
          <p class="banner banner-error" role="alert">
            The server did not accept that token.
          </p>
        )}
        <label class="field">
          <span>Token</span>
          <input ref={input} type="password" name="token" autocomplete="off" spellcheck={false} required />
        </label>
        <div class="dialog-actions">
          <button type="submit" class="btn btn-primary">
            Continue
          </button>
        </div>
      </form>
    </dialog>
  );
}
