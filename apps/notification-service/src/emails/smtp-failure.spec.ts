import { classifySmtpFailure, smtpReplyOf, type SmtpFailure } from './smtp-failure';

/** An error shaped as nodemailer's SMTP connection makes them. */
const smtpError = (code: string, response?: string, command?: string) =>
  Object.assign(new Error(`failed${response ? `: ${response}` : ''}`), {
    code,
    ...(response ? { response, responseCode: Number(response.slice(0, 3)) } : {}),
    ...(command ? { command } : {}),
  });

describe('classifySmtpFailure: retry, dead-letter, or neither', () => {
  it.each<[string, unknown, SmtpFailure]>([
    ['connection refused (server down)', smtpError('ECONNECTION'), 'outage'],
    ['no greeting or reply in time', smtpError('ETIMEDOUT'), 'outage'],
    ['connection dropped mid-conversation', smtpError('ESOCKET'), 'outage'],
    ['421 service not available', smtpError('EENVELOPE', '421 4.3.2 Service shutting down', 'MAIL FROM'), 'outage'],
    ['450 mailbox busy', smtpError('EENVELOPE', '450 4.2.1 Mailbox busy, try later', 'RCPT TO'), 'outage'],
    ['452 out of storage at DATA', smtpError('EMESSAGE', '452 4.3.1 Insufficient system storage', 'DATA'), 'outage'],
    ['our credentials refused (a configuration fault, not the message)', smtpError('EAUTH', '535 5.7.8 Authentication failed', 'AUTH PLAIN'), 'outage'],
    ['our sender refused', smtpError('EENVELOPE', '553 5.7.1 Sender not allowed', 'MAIL FROM'), 'outage'],
    ['503 bad sequence of commands', smtpError('EENVELOPE', '503 5.5.1 Bad sequence of commands', 'RCPT TO'), 'outage'],
    ['550 recipient unknown', smtpError('EENVELOPE', '550 5.1.1 <nobody@example.com>: Recipient address rejected', 'RCPT TO'), 'refused'],
    ['554 message refused at DATA', smtpError('EMESSAGE', '554 5.7.1 Message rejected as spam', 'DATA'), 'refused'],
    ['an error of no SMTP kind', new Error('cannot read properties of undefined'), 'unknown'],
    ['not an error at all', 'boom', 'unknown'],
  ])('%s: %s', (_, err, expected) => {
    expect(classifySmtpFailure(err)).toBe(expected);
  });

  it("reports the server's reply, else the error's message", () => {
    expect(smtpReplyOf(smtpError('EENVELOPE', '550 5.1.1 mailbox unavailable', 'RCPT TO'))).toBe('550 5.1.1 mailbox unavailable');
    expect(smtpReplyOf(new Error('Connection timeout'))).toBe('Connection timeout');
  });
});
