import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DEFAULT_QUERY_LIMITS, enforceQueryLimits, measureOperation } from './query-limits.js';

function measure(source: string, variables: Record<string, unknown> = {}) {
  const doc = parse(source);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    doc.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  return measureOperation(op, fragments, variables);
}

describe('query limits', () => {
  it('counts depth through fields and fragments', () => {
    expect(measure('{ me { id } }').depth).toBe(2);
    expect(measure('query { study(id: "1") { ...S } } fragment S on Study { patient { name } }').depth).toBe(3);
  });

  it('multiplies costs by page size, from literals or variables', () => {
    const literal = measure('{ studies(first: 100) { edges { node { id description } } } }');
    const variable = measure('query Q($n: Int) { studies(first: $n) { edges { node { id description } } } }', {
      n: 100,
    });
    expect(literal.cost).toBe(variable.cost);
    expect(literal.cost).toBeGreaterThan(
      measure('{ studies(first: 10) { edges { node { id description } } } }').cost * 9,
    );
  });

  it('ignores introspection', () => {
    expect(
      measure('{ __schema { types { name fields { name type { ofType { ofType { ofType { name } } } } } } } }'),
    ).toMatchObject({ cost: 0, depth: 0 });
  });

  it('rejects nested amplification and deep nesting with QUERY_TOO_COMPLEX', () => {
    const amplified = measure(
      '{ studies(first: 100) { edges { node { patient { studies { prediction { slices { any } } } } } } } }',
    );
    expect(() => enforceQueryLimits(amplified, { maxDepth: 10, maxCost: 20_000, maxRootFieldRepeats: 5 })).toThrow(
      /too costly/,
    );
    let deep = 'name';
    for (let i = 0; i < 6; i += 1) deep = `patient { studies { ${deep} } }`;
    const nested = measure(`{ study(id: "1") { ${deep} } }`);
    expect(() => enforceQueryLimits(nested, { maxDepth: 10, maxCost: 1e9, maxRootFieldRepeats: 5 })).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }) }),
    );
    expect(() =>
      enforceQueryLimits(
        measure(
          '{ studies(first: 25) { edges { node { id patient { name } prediction { any modelVersion { name } } } } } }',
        ),
        { maxDepth: 10, maxCost: 20_000, maxRootFieldRepeats: 5 },
      ),
    ).not.toThrow();
  });

  it('prices a page size taken from a variable default like one sent in the variables', () => {
    const source = 'query($n: Int = 500) { auditEvents(first: $n) { edges { node { id action details } } } }';
    expect(measure(source).cost).toBe(measure(source, { n: 500 }).cost);
    expect(measure(source, { n: 5 }).cost).toBeLessThan(measure(source).cost);
    expect(() => enforceQueryLimits(measure(source), DEFAULT_QUERY_LIMITS)).not.toThrow();
    const big = 'query($n: Int = 5000) { auditEvents(first: $n) { edges { node { id action details } } } }';
    expect(() => enforceQueryLimits(measure(big), DEFAULT_QUERY_LIMITS)).toThrow(/too costly/);
  });

  it('prices verifyAuditLog and counts by their work and caps repeated root fields', () => {
    expect(() => enforceQueryLimits(measure('{ verifyAuditLog { ok } }'), DEFAULT_QUERY_LIMITS)).not.toThrow();
    expect(() =>
      enforceQueryLimits(measure('{ a: verifyAuditLog { ok } b: verifyAuditLog { ok } }'), DEFAULT_QUERY_LIMITS),
    ).toThrow(/too costly/);
    const counts = Array.from({ length: 250 }, (_, i) => `c${i}: studies(filter: { search: "x" }) { totalCount }`);
    expect(() => enforceQueryLimits(measure(`{ ${counts.join(' ')} }`), DEFAULT_QUERY_LIMITS)).toThrow(/too costly/);
    const cheap = Array.from({ length: 6 }, (_, i) => `c${i}: studies(first: 1) { edges { cursor } }`);
    expect(() => enforceQueryLimits(measure(`{ ${cheap.join(' ')} }`), DEFAULT_QUERY_LIMITS)).toThrow(
      /repeats studies 6 times; the limit is 5/,
    );
    expect(() => enforceQueryLimits(measure(`{ ${cheap.slice(1).join(' ')} }`), DEFAULT_QUERY_LIMITS)).not.toThrow();
    const viaFragments = `{ ...F ...G } fragment F on Query { a: me { id } b: me { id } c: me { id } } fragment G on Query { d: me { id } e: me { id } f: me { id } }`;
    expect(measure(viaFragments).mostRepeatedRootField).toEqual({ name: 'me', count: 6 });
  });

  it('prices totalCount and pageInfo once per connection, not once per item', () => {
    const count = measure('{ auditEvents(first: 50) { totalCount } }').cost;
    expect(count).toBe(1 + 500);
    expect(() =>
      enforceQueryLimits(
        measure('{ auditEvents(first: 500) { totalCount pageInfo { hasNextPage } edges { node { id } } } }'),
        DEFAULT_QUERY_LIMITS,
      ),
    ).not.toThrow();
  });
});
