import {
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  valueFromASTUntyped,
} from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  /**
   * How often one root field may appear in an operation (aliases included). Each repetition is a separate round of
   * authorization, database work and audit rows; a client that needs more sends more requests, which the server can
   * interleave with everyone else's.
   */
  maxRootFieldRepeats: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxCost: 20_000, maxRootFieldRepeats: 5 };

/**
 * Fields whose work is not one row per item, priced by what they do rather than as 1. `totalCount` is a COUNT over
 * the whole filtered table (with a search, a scan), so a page of 100 rows costs less than it. `verifyAuditLog` reads
 * and re-hashes the whole audit chain: one such call is the most an operation may hold (two cost more than the limit).
 */
const FIELD_COSTS: Readonly<Record<string, number>> = {
  totalCount: 500,
  verifyAuditLog: 15_000,
};

/**
 * How many items a list field returns when the query does not say (`first`). Worst cases, not averages: a query is
 * priced before it runs, and a CT series has up to a few hundred slices.
 */
const LIST_SIZES: Readonly<Record<string, number>> = {
  studies: 25,
  patients: 25,
  auditEvents: 50,
  slices: 300,
  series: 10,
  reviews: 10,
  users: 100,
  apiTokens: 100,
  modelVersions: 20,
};

/** Connection fields resolved once per connection, not once per item of the page. */
const ONCE_PER_CONNECTION = new Set(['totalCount', 'pageInfo']);

export interface QueryMeasure {
  depth: number;
  cost: number;
  /** The root field that appears most often (aliases included), and how often. */
  mostRepeatedRootField: { name: string; count: number } | null;
}

/**
 * Depth and cost of one operation. Cost counts every field once per item it may be resolved for: a field inside
 * `studies(first: 100)` costs 100. Page sizes come from literals, from variables, and from a variable's default when
 * the request leaves it out (`query($n: Int = 500)` is priced at 500). Introspection (`__schema`, `__type`) is
 * exempt: its size is bounded by the schema and it is turned off in production.
 */
export function measureOperation(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  requestVariables: Readonly<Record<string, unknown>>,
): QueryMeasure {
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue)
      variables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  for (const [name, value] of Object.entries(requestVariables)) if (value !== undefined) variables[name] = value;
  const walk = (
    set: SelectionSetNode,
    depth: number,
    visiting: ReadonlySet<string>,
  ): { cost: number; depth: number; once: number } => {
    let cost = 0;
    // The part of `cost` that a connection resolves once, not per item (totalCount, pageInfo).
    let once = 0;
    let maxDepth = depth;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        let fieldCost = FIELD_COSTS[selection.name.value] ?? 1;
        let fieldDepth = depth + 1;
        if (selection.selectionSet) {
          const inner = walk(selection.selectionSet, depth + 1, visiting);
          const perItem = inner.cost - inner.once;
          fieldCost += listSize(selection.name.value, selection.arguments ?? [], variables) * perItem + inner.once;
          fieldDepth = inner.depth;
        }
        cost += fieldCost;
        if (ONCE_PER_CONNECTION.has(selection.name.value)) once += fieldCost;
        maxDepth = Math.max(maxDepth, fieldDepth);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = walk(selection.selectionSet, depth, visiting);
        cost += inner.cost;
        once += inner.once;
        maxDepth = Math.max(maxDepth, inner.depth);
      } else {
        const name = selection.name.value;
        const fragment = fragments[name];
        // Cycles are rejected by GraphQL validation before this runs; the guard keeps this function total anyway.
        if (!fragment || visiting.has(name)) continue;
        const inner = walk(fragment.selectionSet, depth, new Set([...visiting, name]));
        cost += inner.cost;
        once += inner.once;
        maxDepth = Math.max(maxDepth, inner.depth);
      }
    }
    return { cost, depth: maxDepth, once };
  };
  const rootCounts = new Map<string, number>();
  countRootFields(operation.selectionSet, fragments, new Set(), rootCounts);
  let mostRepeatedRootField: QueryMeasure['mostRepeatedRootField'] = null;
  for (const [name, count] of rootCounts)
    if (!mostRepeatedRootField || count > mostRepeatedRootField.count) mostRepeatedRootField = { name, count };
  const { cost, depth } = walk(operation.selectionSet, 0, new Set());
  return { cost, depth, mostRepeatedRootField };
}

/** Root fields by name, through fragments at the root (`{ ...F ...F2 }` spreads count too). */
function countRootFields(
  set: SelectionSetNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  visiting: ReadonlySet<string>,
  counts: Map<string, number>,
): void {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!selection.name.value.startsWith('__'))
        counts.set(selection.name.value, (counts.get(selection.name.value) ?? 0) + 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      countRootFields(selection.selectionSet, fragments, visiting, counts);
    } else {
      const fragment = fragments[selection.name.value];
      if (fragment && !visiting.has(selection.name.value))
        countRootFields(fragment.selectionSet, fragments, new Set([...visiting, selection.name.value]), counts);
    }
  }
}

function listSize(
  field: string,
  args: ReadonlyArray<{ name: { value: string }; value: ValueNode }>,
  variables: Readonly<Record<string, unknown>>,
): number {
  const first = args.find((a) => a.name.value === 'first');
  if (first) {
    const value =
      first.value.kind === Kind.VARIABLE
        ? variables[first.value.name.value]
        : first.value.kind === Kind.INT
          ? Number(first.value.value)
          : undefined;
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  }
  return LIST_SIZES[field] ?? 1;
}

/** Throws QUERY_TOO_COMPLEX (HTTP 400) naming the limit that was exceeded. */
export function enforceQueryLimits(measure: QueryMeasure, limits: QueryLimits): void {
  if (measure.depth > limits.maxDepth) {
    throw new GraphQLError(`Query is too deep: depth ${measure.depth} exceeds the limit of ${limits.maxDepth}.`, {
      extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
    });
  }
  if (measure.cost > limits.maxCost) {
    throw new GraphQLError(
      `Query is too costly: estimated cost ${measure.cost} exceeds the limit of ${limits.maxCost}.`,
      {
        extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
      },
    );
  }
  const repeated = measure.mostRepeatedRootField;
  if (repeated && repeated.count > limits.maxRootFieldRepeats) {
    throw new GraphQLError(
      `Query repeats ${repeated.name} ${repeated.count} times; the limit is ${limits.maxRootFieldRepeats} per request.`,
      { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } },
    );
  }
}
