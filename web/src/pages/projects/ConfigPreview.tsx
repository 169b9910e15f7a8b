import { Card } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LabelStudioEditor } from '../../components/LabelStudioEditor';
import { sampleFor } from './templates';

/** The config rendered in the Label Studio editor on sample data, a moment after typing stops. */
export function ConfigPreview({ config, sample }: { config: string; sample: Record<string, unknown> }) {
  const { t } = useTranslation('projects');
  const [shown, setShown] = useState(config);
  useEffect(() => {
    const timer = setTimeout(() => setShown(config), 600);
    return () => clearTimeout(timer);
  }, [config]);
  const task = useMemo(() => ({ id: 1, data: sampleFor(shown, sample) }), [shown, sample]);
  return (
    <Card title={t('create.preview')} size="small" data-testid="config-preview">
      <LabelStudioEditor
        key={shown}
        config={shown}
        task={task}
        userName=""
        interfaces={['controls', 'side-column']}
        start={{ kind: 'new' }}
      />
    </Card>
  );
}
