import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { operatorSchema } from '@shop/contracts';
import { ApiError } from '../api/http';
import { TextField } from '../layout/text-field';
import { useConsole } from './operations-queries';

interface ConfirmStepProps {
  title: string;
  confirmLabel: string;
  /** What the action will do, and any field it needs (a reason, a payload). */
  children?: ReactNode;
  /** Called with the operator's name once the operator confirms; nothing is sent before. */
  onConfirm: (operator: string) => void;
  onCancel: () => void;
  pending: boolean;
  /** The service's refusal of the last attempt, with its issues. */
  error: Error | null;
  /** Its title's heading level, one below the section it opens in. */
  headingLevel?: 3 | 4;
}

/** The step between pressing an action and sending it. It asks the operator's name the first time (kept in the tab). */
export function ConfirmStep({ title, confirmLabel, children, onConfirm, onCancel, pending, error, headingLevel = 4 }: ConfirmStepProps) {
  const { operator, rememberOperator } = useConsole();
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const id = useId();
  const region = useRef<HTMLFormElement>(null);
  useEffect(() => region.current?.focus(), []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (operator !== null) return onConfirm(operator);
    const parsed = operatorSchema.safeParse(name);
    if (!parsed.success) return setNameError(`Your name ${parsed.error.issues[0].message}`);
    rememberOperator(parsed.data);
    onConfirm(parsed.data);
  };

  const Heading = headingLevel === 3 ? 'h3' : 'h4';
  return (
    <form className="confirm-step" aria-labelledby={`${id}-title`} tabIndex={-1} ref={region} onSubmit={submit} noValidate>
      <Heading id={`${id}-title`}>{title}</Heading>
      {children}
      {operator === null && (
        <TextField
          id={`${id}-operator`}
          label="Your name"
          hint="Sent with every action and kept in the audit; asked once in this tab."
          autoComplete="name"
          value={name}
          error={nameError}
          onChange={(event) => setName(event.target.value)}
        />
      )}
      {error && <Refusal error={error} />}
      <div className="confirm-step__buttons">
        <button type="submit" className="button button--primary" disabled={pending}>
          {pending ? 'Sending…' : confirmLabel}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Refusal({ error }: { error: Error }) {
  const issues = error instanceof ApiError ? (error.body?.issues ?? []) : [];
  const message =
    error instanceof ApiError ? error.message : `The service did not answer (${error.message}); the action may or may not have been applied: check the audit.`;
  return (
    <div className="notice notice--error" role="alert">
      <p>{message}</p>
      {issues.length > 0 && (
        <ul className="confirm-step__issues">
          {issues.map((issue) => (
            <li key={`${issue.field}:${issue.message}`}>
              <code>{issue.field}</code> {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
