import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { RunningProduct } from './product.js';
import { repoRoot } from './product.js';

/** Screenshots go here (git-ignored); look at them after a run. */
export const ARTIFACTS = path.join(repoRoot, 'test/artifacts');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** The first admin's generated password, which the API prints once at start-up. */
export function firstAdminPassword(product: RunningProduct, email: string): string {
  const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`created first admin ${escaped} with password (\\S+)`).exec(product.output());
  if (!match?.[1]) throw new Error(`no generated password for ${email} in the product's output`);
  return match[1];
}

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A GraphQL call through the web origin, as a script would make it (Bearer token). */
export async function gql<T = Record<string, unknown>>(
  product: RunningProduct,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<T>> {
  const res = await fetch(`${product.webUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<T>;
}

export async function apiLogin(product: RunningProduct, email: string, password: string): Promise<string> {
  const r = await gql<{ login: { token: string } }>(
    product,
    'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
    { e: email, p: password },
  );
  if (!r.data?.login.token) throw new Error(`login failed for ${email}: ${JSON.stringify(r.errors)}`);
  return r.data.login.token;
}

/** Creates a user through GraphQL as an admin would (the admin's API session token); throws on a GraphQL error. */
export async function createUser(
  product: RunningProduct,
  adminToken: string,
  user: { email: string; name: string; password: string; role?: 'ADMIN' | 'CLINICIAN' },
): Promise<string> {
  const r = await gql<{ createUser: { id: string } }>(
    product,
    'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }',
    { i: { role: 'CLINICIAN', ...user } },
    adminToken,
  );
  if (!r.data) throw new Error(`createUser ${user.email}: ${JSON.stringify(r.errors)}`);
  return r.data.createUser.id;
}

/**
 * Times `count` slice changes inside the page, each from the key event to cornerstone's `cornerstoneimagerendered`
 * (no CDP round trip in the measurement): the viewer's frame time.
 */
export async function scrollFrameTimes(page: Page, count: number, key: 'ArrowDown' | 'ArrowUp'): Promise<number[]> {
  return page.evaluate(
    async ({ count, key }) => {
      const el = document.querySelector<HTMLElement>('[data-testid="viewport"]')!;
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        const drawn = new Promise<void>((resolve) =>
          el.addEventListener('cornerstoneimagerendered', () => resolve(), { once: true }),
        );
        el.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
        await drawn;
        times.push(performance.now() - t0);
      }
      return times;
    },
    { count, key },
  );
}

/** Signs in through the login form and waits for the page it lands on. */
export async function signIn(page: Page, product: RunningProduct, email: string, password: string, next = '/') {
  const target = next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`;
  await page.goto(`${product.webUrl}${target}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next.split('?')[0]);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA rules). Injected through the
 * DevTools protocol (page.evaluate), so the page's own CSP stays in force.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Summary statistics of the canvas pixels (the viewer's image), for checks that the picture itself changed. */
export async function canvasStats(page: Page, selector = '[data-testid="viewport"] canvas') {
  return page.$eval(selector, (el) => {
    const canvas = el as HTMLCanvasElement;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      sum += data[i]!;
      hash = (hash * 31 + data[i]!) | 0;
    }
    return { mean: sum / (data.length / 4), hash, width: canvas.width, height: canvas.height };
  });
}
