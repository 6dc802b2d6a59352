/**
 * Accessibility and policy checks for the browser suite: axe on each page as the shopper sees it, a
 * recorder of Content-Security-Policy violations (the preview sends the production CSP), and keyboard
 * helpers for the scenario that never clicks.
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** WCAG 2.0 and 2.1, levels A and AA. */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Fails on serious and critical violations, naming each rule and the elements it found, so the message says what to fix. */
export async function expectNoSeriousViolations(page: Page, where: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const blocking = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  const described = blocking.map((violation) => `${violation.id} (${violation.impact}) at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  expect(described, `axe on ${where}`).toEqual([]);
}

/** A violation as the page reported it (SecurityPolicyViolationEvent). */
export interface CspViolation {
  page: string;
  directive: string;
  blocked: string;
  sample: string;
}

/**
 * Records every CSP violation of every page and frame the context opens, across navigations: the init
 * script runs in each new document before the page's own scripts and reports through a binding.
 */
export async function recordCspViolations(context: BrowserContext): Promise<CspViolation[]> {
  const violations: CspViolation[] = [];
  await context.exposeBinding('__reportCspViolation', (_source, violation: CspViolation) => {
    violations.push(violation);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __reportCspViolation: (violation: unknown) => Promise<void> }).__reportCspViolation;
      void report({ page: event.documentURI, directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample });
    });
  });
  return violations;
}

/** Presses Tab until `target` has focus; fails naming it (and where focus went) after `maxTabs`. */
export async function tabTo(page: Page, target: Locator, maxTabs = 40): Promise<void> {
  // Once, so that each press below checks focus at once instead of waiting for the element.
  await target.waitFor({ state: 'attached' });
  for (let tabs = 0; tabs < maxTabs; tabs++) {
    await page.keyboard.press('Tab');
    if (await hasFocus(target)) return;
  }
  const focused = await page.evaluate(() => {
    const element = document.activeElement;
    return element ? `${element.tagName.toLowerCase()} "${(element.textContent ?? '').trim().slice(0, 60)}"` : 'nothing';
  });
  throw new Error(`${String(target)} never took focus in ${maxTabs} presses of Tab (focus is on ${focused})`);
}

export async function hasFocus(target: Locator): Promise<boolean> {
  return target.evaluate((element) => element === document.activeElement, undefined, { timeout: 1_000 }).catch(() => false);
}

/** The focused element shows where focus is: an outline that is drawn, or a box shadow. */
export async function expectVisibleFocus(target: Locator): Promise<void> {
  const style = await target.evaluate((element) => {
    const computed = getComputedStyle(element);
    return {
      outlineStyle: computed.outlineStyle,
      outlineWidth: computed.outlineWidth,
      boxShadow: computed.boxShadow,
      focused: element === document.activeElement,
    };
  });
  expect(style.focused, `${String(target)} has focus`).toBe(true);
  const outlined = style.outlineStyle !== 'none' && style.outlineWidth !== '0px';
  expect(
    outlined || style.boxShadow !== 'none',
    `${String(target)} shows focus (outline ${style.outlineStyle} ${style.outlineWidth}, box-shadow ${style.boxShadow})`,
  ).toBe(true);
}
