/**
 * Answers held back on purpose (a tok_hang card), each on a timer; at shutdown they all go out at
 * once, so a graceful stop never waits out a hang.
 */
export class HeldAnswers {
  private readonly held = new Set<() => void>();
  private releasing = false;

  hold(ms: number): Promise<void> {
    if (this.releasing || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.held.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.held.add(release);
    });
  }

  releaseAll(): void {
    this.releasing = true;
    for (const release of [...this.held]) release();
  }
}
