// A cost as the API gives it (docs/usage.md rule 7): costUSD sums the models that have a price, and
// is null when none of them has one. A model without a price is never shown as $0: the amount
// gets a "+" (there is more, not priced) or, with no amount at all, the words "no price".
import { usd } from '../format.js';

export interface CostProps {
  costUSD: number | null;
  /** Models of these tokens without a price (their cost is not in costUSD). */
  unpriced: readonly string[];
  /** Extra text for the tooltip (the token count, say). */
  detail?: string;
  class?: string;
}

export function Cost({ costUSD, unpriced, detail, class: extra }: CostProps) {
  const names = unpriced.join(', ');
  const prefix = detail ? `${detail}; ` : '';
  const cls = extra ? `cost ${extra}` : 'cost';
  if (costUSD === null) {
    return (
      <span class={`${cls} unpriced`} title={`${prefix}no price for ${names || 'its models'}`}>
        no price
      </span>
    );
  }
  const title = names === '' ? `${prefix}estimated cost` : `${prefix}estimated cost, without ${names} (no price)`;
  return (
    <span class={cls} title={title}>
      {usd(costUSD)}
      {names !== '' && <span class="unpriced-mark">+</span>}
    </span>
  );
}

/** The models of `byModel` that have tokens and no price. */
export function unpricedOf(byModel: Record<string, { costUSD: number | null }>): string[] {
  return Object.entries(byModel)
    .filter(([, m]) => m.costUSD === null)
    .map(([name]) => name)
    .sort();
}
