import { Component, type ReactNode } from 'react';

interface SectionBoundaryProps {
  title: string;
  children: ReactNode;
}

/** An answer the console cannot read breaks one section, never the whole page. */
export class SectionBoundary extends Component<SectionBoundaryProps, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <section className="console-section" aria-label={this.props.title}>
        <p className="notice notice--error" role="alert">
          {this.props.title} cannot be shown: {this.state.error.message}
        </p>
      </section>
    );
  }
}
