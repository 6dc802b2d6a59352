interface QueryFailureProps {
  /** What could not be loaded, as in "We couldn't load the products." */
  what: string;
  onRetry: () => void;
}

export function QueryFailure({ what, onRetry }: QueryFailureProps) {
  return (
    <div className="notice notice--error" role="alert">
      <p>We couldn't load {what}. Please check your connection and try again.</p>
      <button type="button" className="button" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
