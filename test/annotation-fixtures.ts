import type { TenantFixture } from './fixtures.ts';

/** Label Studio's text-classification template (sentiment). */
export const TEXT_CLASSIFICATION_CONFIG = `<View>
  <Text name="text" value="$text"/>
  <View style="box-shadow: 2px 2px 5px #999; padding: 20px; margin-top: 2em; border-radius: 5px;">
    <Header value="Choose text sentiment"/>
    <Choices name="sentiment" toName="text" choice="single" showInLine="true">
      <Choice value="Positive"/>
      <Choice value="Negative"/>
      <Choice value="Neutral"/>
    </Choices>
  </View>
</View>`;

export interface ProjectJson {
  id: number;
  title: string;
  label_config: string;
  data_keys: string[];
  overlap: number;
  task_count: number;
  [key: string]: unknown;
}

/**
 * Creates a text-classification project through the API (as the tenant owner unless
 * `as` is given) and returns its JSON. `overrides` are merged into the request body.
 */
export async function newProject(
  t: TenantFixture,
  overrides: Record<string, unknown> = {},
  as = t.owner,
): Promise<ProjectJson> {
  const res = await t.as(as, {
    method: 'POST',
    url: '/api/v1/projects',
    payload: { title: 'Sentiment', label_config: TEXT_CLASSIFICATION_CONFIG, ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`create project: ${res.statusCode} ${res.body}`);
  return res.json() as ProjectJson;
}
