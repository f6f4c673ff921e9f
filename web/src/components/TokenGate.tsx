/** Asks for the API token when the server answers 401 (and from the header's "Token" button). */
import { useEffect, useState } from 'react';
import { getToken, setToken, UNAUTHORIZED_EVENT } from '../api';

export function TokenGate() {
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState(getToken());
  // A 401 while a token is saved: the server refused that token (not just "none given").
  const [refused, setRefused] = useState(false);
  useEffect(() => {
    const show = () => setOpen(true);
    const unauthorized = () => {
      setRefused(getToken() !== '');
      setOpen(true);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, unauthorized);
    window.addEventListener('tutti:ask-token', show);
    return () => {
      window.removeEventListener(UNAUTHORIZED_EVENT, unauthorized);
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
          setRefused(false);
          setOpen(false);
          setToken(value.trim());
        }}
      >
        <h2>API token</h2>
        <p>This server requires its bearer token (TUTTI_API_TOKEN). It is kept in this browser only.</p>
        {refused && (
          <p className="error" data-testid="token-error">
            The server refused this token.
          </p>
        )}
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
