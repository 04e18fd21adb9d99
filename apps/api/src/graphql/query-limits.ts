import {
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxCost: 20_000 };

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

export interface QueryMeasure {
  depth: number;
  cost: number;
}

/**
 * Depth and cost of one operation. Cost counts every field once per item it may be resolved for: a field inside
 * `studies(first: 100)` costs 100. Introspection (`__schema`, `__type`) is exempt: its size is bounded by the
 * schema and it is turned off in production.
 */
export function measureOperation(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>>,
): QueryMeasure {
  const walk = (set: SelectionSetNode, depth: number, visiting: ReadonlySet<string>): QueryMeasure => {
    let cost = 0;
    let maxDepth = depth;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        let fieldCost = 1;
        let fieldDepth = depth + 1;
        if (selection.selectionSet) {
          const inner = walk(selection.selectionSet, depth + 1, visiting);
          fieldCost += listSize(selection.name.value, selection.arguments ?? [], variables) * inner.cost;
          fieldDepth = inner.depth;
        }
        cost += fieldCost;
        maxDepth = Math.max(maxDepth, fieldDepth);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = walk(selection.selectionSet, depth, visiting);
        cost += inner.cost;
        maxDepth = Math.max(maxDepth, inner.depth);
      } else {
        const name = selection.name.value;
        const fragment = fragments[name];
        // Cycles are rejected by GraphQL validation before this runs; the guard keeps this function total anyway.
        if (!fragment || visiting.has(name)) continue;
        const inner = walk(fragment.selectionSet, depth, new Set([...visiting, name]));
        cost += inner.cost;
        maxDepth = Math.max(maxDepth, inner.depth);
      }
    }
    return { cost, depth: maxDepth };
  };
  return walk(operation.selectionSet, 0, new Set());
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
}
