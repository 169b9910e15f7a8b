import { Alert } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { fieldMessage, problemMessage, problemTitle } from '../lib/problemText';

/**
 * An API error as its problem+json title and message, translated by its code (field errors
 * listed, translated by their rule); other errors by message.
 */
export function ProblemAlert({ error, style }: { error: unknown; style?: React.CSSProperties }) {
  const { t, i18n } = useTranslation();
  if (!error) return null;
  if (error instanceof ApiError) {
    const p = error.problem;
    return (
      <Alert
        type="error"
        showIcon
        role="alert"
        style={style}
        title={problemTitle(t, p)}
        description={
          <>
            {problemMessage(t, p)}
            {p.errors?.length ? (
              <ul>
                {p.errors.map((e) => (
                  <li key={e.path + e.message}>
                    <code>{e.path}</code> {fieldMessage(t, i18n, p, e)}
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        }
      />
    );
  }
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      style={style}
      title={t('error.unexpected')}
      description={error instanceof Error ? error.message : String(error)}
    />
  );
}
