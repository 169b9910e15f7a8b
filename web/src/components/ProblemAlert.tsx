import { Alert } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

/** An API error as its problem+json title and detail (field errors listed); other errors by message. */
export function ProblemAlert({ error, style }: { error: unknown; style?: React.CSSProperties }) {
  const { t } = useTranslation();
  if (!error) return null;
  if (error instanceof ApiError) {
    const p = error.problem;
    return (
      <Alert
        type="error"
        showIcon
        role="alert"
        style={style}
        title={p.title}
        description={
          <>
            {p.detail}
            {p.errors?.length ? (
              <ul>
                {p.errors.map((e) => (
                  <li key={e.path + e.message}>
                    <code>{e.path}</code> {e.message}
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
