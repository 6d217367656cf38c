/** An error as the user should see it: what happened, the API's message, and the request id to quote. */
import { describeError } from "../lib/errors";

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const d = describeError(error);
  return (
    <div className="error" role="alert">
      <p className="error-headline">{d.headline}</p>
      <p className="error-detail">
        {d.detail}
        {d.code ? <span className="error-code"> ({d.code})</span> : null}
      </p>
      {d.requestId ? <p className="muted small">Request id: {d.requestId}</p> : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
