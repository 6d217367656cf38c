/** Previous / next buttons for a cursor-paged list. */
export function Pager({
  page,
  hasPrev,
  hasNext,
  onPrev,
  onNext,
  label,
}: {
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
  label: string;
}) {
  if (!hasPrev && !hasNext) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={onPrev} disabled={!hasPrev}>
        ← Previous
      </button>
      <span aria-live="polite">Page {page}</span>
      <button type="button" onClick={onNext} disabled={!hasNext}>
        Next →
      </button>
    </nav>
  );
}
