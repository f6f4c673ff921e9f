/** Asks for the API token when the server answers 401 (and from the header's "Token" button). */
import { useEffect, useState } from 'react';
import { getToken, setToken, UNAUTHORIZED_EVENT } from '../api';

export function TokenGate() {
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState(getToken());
  useEffect(() => {
    const show = () => setOpen(true);
    window.addEventListener(UNAUTHORIZED_EVENT, show);
    window.addEventListener('tutti:ask-token', show);
    return () => {
      window.removeEventListener(UNAUTHORIZED_EVENT, show);
      window.removeEventListener('tutti:ask-token', show);
    };
  }, []);
  if (!open) return null;
  return (
    <div className="modal-backdrop">
      <form
        className="modal"
        onSubmit={(e) => {
          e.preventDefault();
          setToken(value.trim());
          setOpen(false);
        }}
      >
        <h2>API token</h2>
        <p>This server requires its bearer token (TUTTI_API_TOKEN). It is kept in this browser only.</p>
        <input data-testid="token-input" type="password" autoFocus value={value} onChange={(e) => setValue(e.target.value)} placeholder="token" />
        <div className="row">
          <button type="submit" data-testid="token-save">
            Save
          </button>
          <button type="button" className="secondary" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
