import { api, must } from '../../../api/client';

/** The AI pages' TanStack Query keys; `llm` invalidates all of them. */
export const aiKeys = {
  all: ['llm'] as const,
  configurations: ['llm', 'configurations'] as const,
  models: ['llm', 'models'] as const,
  bindings: ['llm', 'bindings'] as const,
  budgets: ['llm', 'budgets'] as const,
  usage: ['llm', 'usage'] as const,
  summary: (group: string) => ['llm', 'usage', 'summary', group] as const,
};

export const configurationsQuery = {
  queryKey: aiKeys.configurations,
  queryFn: () => must(api.GET('/api/v1/llm/configurations')),
};

export const FEATURES = ['pre_annotation', 'text_to_sql', 'ragas', 'playground'] as const;
export const CAPABILITIES = ['chat', 'json_schema', 'tools', 'vision', 'embeddings'] as const;
