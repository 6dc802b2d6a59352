import { useEffect, useState } from 'react';
import { ORDER_LIMITS } from '@shop/contracts';

interface QuantityInputProps {
  id: string;
  label: string;
  value: number;
  onChange: (quantity: number) => void;
}

/** A number field with step buttons. It keeps what is typed until it is a whole number, so clearing it to retype works. */
export function QuantityInput({ id, label, value, onChange }: QuantityInputProps) {
  const [draft, setDraft] = useState(String(value));
  useEffect(() => setDraft(String(value)), [value]);

  const commit = (text: string) => {
    setDraft(text);
    const quantity = Number(text);
    if (text.trim() !== '' && Number.isInteger(quantity) && quantity >= 1) onChange(quantity);
  };

  return (
    <div className="quantity">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <button type="button" className="quantity__step" onClick={() => onChange(value - 1)} disabled={value <= 1} aria-label={`One fewer: ${label}`}>
        −
      </button>
      <input
        id={id}
        className="quantity__input"
        type="number"
        inputMode="numeric"
        min={1}
        max={ORDER_LIMITS.maxQuantityPerLine}
        value={draft}
        onChange={(event) => commit(event.target.value)}
        onBlur={() => setDraft(String(value))}
      />
      <button
        type="button"
        className="quantity__step"
        onClick={() => onChange(value + 1)}
        disabled={value >= ORDER_LIMITS.maxQuantityPerLine}
        aria-label={`One more: ${label}`}
      >
        +
      </button>
    </div>
  );
}
