import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { ProviderError } from './adapters.ts';

/**
 * One circuit breaker per configuration and process (cockatiel): after `threshold` failed
 * attempts in a row the configuration is skipped for `cooldownMs`, then one trial call
 * decides whether it closes again. It counts what says the provider is unwell (rate limits,
 * server errors, timeouts, unreachable), not requests the provider rightly refused.
 */
interface Entry {
  key: string;
  policy: CircuitBreakerPolicy;
}

const breakers = new Map<number, Entry>();

const countsAgainstProvider = handleWhen((err) => err instanceof ProviderError && err.retryable);

export function breakerOf(
  configurationId: number,
  threshold: number,
  cooldownMs: number,
): CircuitBreakerPolicy {
  const key = `${threshold}:${cooldownMs}`;
  const entry = breakers.get(configurationId);
  if (entry?.key === key) return entry.policy;
  // A changed threshold or cooldown starts a fresh breaker.
  const policy = circuitBreaker(countsAgainstProvider, {
    halfOpenAfter: cooldownMs,
    breaker: new ConsecutiveBreaker(threshold),
  });
  breakers.set(configurationId, { key, policy });
  return policy;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export function breakerState(configurationId: number): BreakerState {
  const state = breakers.get(configurationId)?.policy.state ?? CircuitState.Closed;
  if (state === CircuitState.HalfOpen) return 'half_open';
  return state === CircuitState.Closed ? 'closed' : 'open';
}

export function forgetBreaker(configurationId: number): void {
  breakers.delete(configurationId);
}

export function isBrokenCircuit(err: unknown): boolean {
  return err instanceof BrokenCircuitError;
}
