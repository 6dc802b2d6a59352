import { TEST_CARDS } from '@shop/contracts';
import { TextField } from '../layout/text-field';
import { groupCardNumber, type CardInput } from './card-details';
import { CHECKOUT_FIELD_IDS } from './checkout-issues';

interface CardFieldsProps {
  card: CardInput;
  onChange: (field: keyof CardInput, value: string) => void;
  errorOf: (field: string) => string | undefined;
}

/**
 * The test cards are listed in development and in a build made with VITE_SHOW_TEST_CARDS=true (the
 * browser suite's); a production build leaves the list out.
 */
export function showTestCards(): boolean {
  return import.meta.env.DEV || import.meta.env.VITE_SHOW_TEST_CARDS === 'true';
}

/** Number, expiry and security code, named so browsers and password managers fill them. */
export function CardFields({ card, onChange, errorOf }: CardFieldsProps) {
  return (
    <>
      <h2 id="payment-title">Payment</h2>
      <p className="field__hint">Your card goes straight to our card processor; the shop only receives a token for it.</p>
      <TextField
        id={CHECKOUT_FIELD_IDS.cardNumber}
        label="Card number"
        autoComplete="cc-number"
        inputMode="numeric"
        value={card.number}
        onChange={(event) => onChange('number', event.target.value)}
        error={errorOf('payment.card.number') ?? errorOf('payment.card') ?? errorOf('payment.token') ?? errorOf('payment')}
      />
      {showTestCards() && <TestCards card={card} onChange={onChange} />}
      <div className="card-fields__row">
        <TextField
          id={CHECKOUT_FIELD_IDS.cardExpiry}
          label="Expiry date"
          hint="MM/YY"
          autoComplete="cc-exp"
          inputMode="numeric"
          value={card.expiry}
          onChange={(event) => onChange('expiry', event.target.value)}
          error={errorOf('payment.card.expiry')}
        />
        <TextField
          id={CHECKOUT_FIELD_IDS.cardCvc}
          label="Security code (CVC)"
          autoComplete="cc-csc"
          inputMode="numeric"
          value={card.cvc}
          onChange={(event) => onChange('cvc', event.target.value)}
          error={errorOf('payment.card.cvc')}
        />
      </div>
    </>
  );
}

/** The provider's documented test cards, each with what it does; "Use" fills the card (and any empty expiry and CVC). */
function TestCards({ card, onChange }: Pick<CardFieldsProps, 'card' | 'onChange'>) {
  const use = (number: string) => {
    onChange('number', groupCardNumber(number));
    if (card.expiry.trim() === '') onChange('expiry', nextYearsExpiry());
    if (card.cvc.trim() === '') onChange('cvc', '123');
  };
  return (
    <section className="test-cards" aria-labelledby="test-cards-title">
      <h3 id="test-cards-title">Test cards</h3>
      <p className="small">No real card is charged here. Use any future expiry date and any 3-digit CVC.</p>
      <ul>
        {TEST_CARDS.map((testCard) => (
          <li key={testCard.number}>
            <span>
              <code>{groupCardNumber(testCard.number)}</code> {testCard.behaviour}
            </span>
            <button
              type="button"
              className="button button--quiet"
              onClick={() => use(testCard.number)}
              aria-label={`Use test card ${groupCardNumber(testCard.number)}`}
            >
              Use
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** December of next year: always in the future, whatever the date. */
function nextYearsExpiry(): string {
  return `12/${String((new Date().getFullYear() + 1) % 100).padStart(2, '0')}`;
}
