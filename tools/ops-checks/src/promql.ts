import { parser } from '@prometheus-io/lezer-promql';

/** A PromQL expression the official grammar rejects. */
export class PromQLSyntaxError extends Error {
  override readonly name = 'PromQLSyntaxError';
  constructor(
    readonly expr: string,
    readonly position: number,
  ) {
    super(`PromQL syntax error at ${position}: ${expr.slice(position, position + 40)} in ${expr}`);
  }
}

// Grafana replaces these before sending a query; any valid duration stands in for them here.
const GRAFANA_DURATION_VARIABLES =
  /\$__(rate_interval|interval|range)|\$\{__(rate_interval|interval|range)\}/g;

/**
 * Metric names selected by a PromQL expression (vector and range selectors), parsed with the
 * Prometheus project's own lezer grammar — never a regex over the text, which would also pick up
 * label names, functions and string contents.
 */
export function metricNamesIn(expr: string): string[] {
  const query = expr.replace(GRAFANA_DURATION_VARIABLES, '5m');
  const tree = parser.parse(query);
  const names = new Set<string>();
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) throw new PromQLSyntaxError(query, cursor.from);
    if (cursor.name === 'VectorSelector') {
      const selector = cursor.node.getChild('Identifier');
      if (selector) names.add(query.slice(selector.from, selector.to));
    }
  } while (cursor.next());
  return [...names];
}
