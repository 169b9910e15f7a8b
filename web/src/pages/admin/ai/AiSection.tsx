import { TabbedSection } from '../../../components/TabbedSection';
import { BindingsTab } from './BindingsTab';
import { BudgetsTab } from './BudgetsTab';
import { ModelsTab } from './ModelsTab';
import { PlaygroundTab } from './PlaygroundTab';
import { ProvidersTab } from './ProvidersTab';
import { UsageTab } from './UsageTab';

const TABS = [
  { key: 'providers', permission: 'llm:read', element: <ProvidersTab /> },
  { key: 'models', permission: 'llm:read', element: <ModelsTab /> },
  { key: 'bindings', permission: 'llm:read', element: <BindingsTab /> },
  { key: 'usage', permission: 'llm:read', element: <UsageTab /> },
  { key: 'budgets', permission: 'llm:read', element: <BudgetsTab /> },
  { key: 'playground', permission: 'llm:use', element: <PlaygroundTab /> },
] as const;

/** Administration → AI: the LLM gateway's providers, models, bindings, usage, budgets and playground. */
export function AiSection() {
  return <TabbedSection ns="ai" base="/admin/ai" tabs={TABS} fallback="providers" level={3} />;
}
