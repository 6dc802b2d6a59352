import { useEffect, useRef, useState } from 'react';
import { ORDER_LIMITS } from '@shop/contracts';
import { readQuantity, type QuantityProblem } from './read-quantity';
import './quantity-input.css';

interface QuantityInputProps {
  id: string;
  label: string;
  value: number;
  onChange: (quantity: number) => void;
  /** Told whenever what is typed turns valid or invalid, so the page can refuse to total or check out a guess. */
  onValidityChange?: (valid: boolean) => void;
}

const MAX = ORDER_LIMITS.maxQuantityPerLine;

export const QUANTITY_ERRORS: Record<Exclude<QuantityProblem, 'above-max'>, string> = {
  empty: 'Enter a quantity of at least 1; use Remove to take it out',
  'not-whole': 'Quantity must be a whole number, such as 1 or 2',
  'below-1': 'Quantity must be at least 1; use Remove to take it out',
};

export const clampNote = (max: number) => `At most ${max} per order: set to ${max}`;

/**
 * A number field with step buttons. What is typed stays on screen: a whole number from 1 to the limit is
 * applied, more than the limit is set to the limit with a note saying so, and anything else stays as typed
 * with an error until it is fixed, so the field never shows one quantity while the cart counts another.
 */
export function QuantityInput({ id, label, value, onChange, onValidityChange }: QuantityInputProps) {
  const [draft, setDraft] = useState(String(value));
  // The value the field was clamped to: the note stays while the line still holds it.
  const [clampedTo, setClampedTo] = useState<number | null>(null);
  useEffect(() => setDraft(String(value)), [value]);

  const reading = readQuantity(draft);
  const error = reading.ok || reading.reason === 'above-max' ? undefined : QUANTITY_ERRORS[reading.reason];
  const note = clampedTo !== null && clampedTo === value && !error ? clampNote(MAX) : undefined;
  const valid = error === undefined;

  // Reported when validity changes, not on every render: the parent passes a new callback each time.
  const report = useRef(onValidityChange);
  useEffect(() => {
    report.current = onValidityChange;
  });
  useEffect(() => report.current?.(valid), [valid]);
  // A removed line no longer holds the page back.
  useEffect(() => () => report.current?.(true), []);

  const commit = (text: string) => {
    const typed = readQuantity(text);
    if (typed.ok) {
      setDraft(text);
      setClampedTo(null);
      onChange(typed.quantity);
    } else if (typed.reason === 'above-max') {
      // Reset the draft even when the line already holds the limit: then `value` does not change to do it.
      setDraft(String(MAX));
      setClampedTo(MAX);
      onChange(MAX);
    } else {
      setDraft(text);
      setClampedTo(null);
    }
  };

  // The steps count from what is on screen when it is a number, so "0" then "+" gives 1, not value + 1.
  const shown = Number(draft.trim());
  const base = draft.trim() !== '' && Number.isFinite(shown) ? Math.trunc(shown) : value;
  const messageId = `${id}-message`;

  return (
    <div className="quantity-field">
      <div className="quantity">
        <label htmlFor={id} className="visually-hidden">
          {label}
        </label>
        <button type="button" className="quantity__step" onClick={() => commit(String(base - 1))} disabled={base <= 1} aria-label={`One fewer: ${label}`}>
          −
        </button>
        <input
          id={id}
          className="quantity__input"
          type="number"
          inputMode="numeric"
          min={1}
          max={MAX}
          value={draft}
          onChange={(event) => commit(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error || note ? messageId : undefined}
        />
        <button
          type="button"
          className="quantity__step"
          onClick={() => commit(String(Math.max(1, base + 1)))}
          disabled={base >= MAX}
          aria-label={`One more: ${label}`}
        >
          +
        </button>
      </div>
      {/* Always in the page, so screen readers announce the note or the error when it appears. */}
      <p id={messageId} role="status" className={`quantity-field__message${error ? ' field__error' : ''}`}>
        {error && (
          <>
            <span className="visually-hidden">Error:</span> {error}
          </>
        )}
        {note}
      </p>
    </div>
  );
}
