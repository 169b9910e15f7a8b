import { Decimal } from 'decimal.js';
import { and, asc, eq } from 'drizzle-orm';
import type { Executor, Tx } from '../../../platform/db/client.ts';
import { notFound } from '../../../platform/errors/problem.ts';
import { type Capability, llmModelRegistry, type ModelRow } from '../schema.ts';

export interface ModelInput {
  model: string;
  capabilities?: Capability[];
  context_window?: number | null;
  input_price_per_million?: string;
  output_price_per_million?: string;
  currency?: string;
  enabled?: boolean;
}

/** Prices as exact decimal strings, without trailing zeros. */
const exact = (v: string) => new Decimal(v).toFixed();

export function modelView(r: ModelRow) {
  return {
    id: r.id,
    configuration_id: r.configurationId,
    model: r.model,
    capabilities: r.capabilities,
    context_window: r.contextWindow,
    input_price_per_million: exact(r.inputPricePerMillion),
    output_price_per_million: exact(r.outputPricePerMillion),
    currency: r.currency,
    enabled: r.enabled,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export async function addModel(
  tx: Tx,
  tenantId: string,
  configurationId: number,
  input: ModelInput,
): Promise<ModelRow> {
  const [row] = await tx
    .insert(llmModelRegistry)
    .values({
      tenantId,
      configurationId,
      model: input.model,
      capabilities: input.capabilities,
      contextWindow: input.context_window ?? null,
      inputPricePerMillion: input.input_price_per_million,
      outputPricePerMillion: input.output_price_per_million,
      currency: input.currency,
      enabled: input.enabled,
    })
    .returning();
  return row!;
}

export function listModels(tx: Tx, configurationId?: number): Promise<ModelRow[]> {
  return tx
    .select()
    .from(llmModelRegistry)
    .where(configurationId === undefined ? undefined : eq(llmModelRegistry.configurationId, configurationId))
    .orderBy(asc(llmModelRegistry.configurationId), asc(llmModelRegistry.model));
}

export async function getModel(tx: Tx, id: number): Promise<ModelRow> {
  const [row] = await tx.select().from(llmModelRegistry).where(eq(llmModelRegistry.id, id));
  if (!row) throw notFound('model.not_found', 'The model');
  return row;
}

/** The registry entry of a configuration's model, if the tenant registered it. */
export async function findModel(
  tx: Executor,
  configurationId: number,
  model: string,
): Promise<ModelRow | null> {
  const [row] = await tx
    .select()
    .from(llmModelRegistry)
    .where(and(eq(llmModelRegistry.configurationId, configurationId), eq(llmModelRegistry.model, model)));
  return row ?? null;
}

export async function updateModel(tx: Tx, id: number, patch: Partial<ModelInput>): Promise<ModelRow> {
  await getModel(tx, id);
  const [row] = await tx
    .update(llmModelRegistry)
    .set({
      model: patch.model,
      capabilities: patch.capabilities,
      contextWindow: patch.context_window,
      inputPricePerMillion: patch.input_price_per_million,
      outputPricePerMillion: patch.output_price_per_million,
      currency: patch.currency,
      enabled: patch.enabled,
      updatedAt: new Date(),
    })
    .where(eq(llmModelRegistry.id, id))
    .returning();
  return row!;
}

export async function deleteModel(tx: Tx, id: number): Promise<ModelRow> {
  const row = await getModel(tx, id);
  await tx.delete(llmModelRegistry).where(eq(llmModelRegistry.id, id));
  return row;
}

/** The cost of a call at a model's prices: exact, per million tokens in and out. */
export function costOf(model: ModelRow | null, tokensIn: number, tokensOut: number): Decimal {
  if (!model) return new Decimal(0);
  return new Decimal(model.inputPricePerMillion)
    .mul(tokensIn)
    .add(new Decimal(model.outputPricePerMillion).mul(tokensOut))
    .div(1_000_000);
}
