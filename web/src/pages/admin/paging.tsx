import { Button, Space } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * Keyset paging: the API hands out a next_cursor; the stack of cursors already followed
 * lets the reader step back. Changing the filter starts over at the first page.
 */
export function useCursor(filterKey: string) {
  const [state, setState] = useState<{ key: string; stack: (string | undefined)[] }>({
    key: filterKey,
    stack: [undefined],
  });
  const stack = state.key === filterKey ? state.stack : [undefined];
  return {
    cursor: stack.at(-1),
    page: stack.length,
    next: (c: string) => setState({ key: filterKey, stack: [...stack, c] }),
    previous: () => setState({ key: filterKey, stack: stack.slice(0, -1) }),
    first: () => setState({ key: filterKey, stack: [undefined] }),
  };
}

export function Pager({
  paging,
  nextCursor,
}: {
  paging: ReturnType<typeof useCursor>;
  nextCursor: string | null | undefined;
}) {
  const { t } = useTranslation('admin');
  return (
    <Space style={{ marginTop: 12 }}>
      <Button size="small" disabled={paging.page <= 1} onClick={paging.previous}>
        {t('paging.previous')}
      </Button>
      <span>{t('paging.page', { page: paging.page })}</span>
      <Button size="small" disabled={!nextCursor} onClick={() => nextCursor && paging.next(nextCursor)}>
        {t('paging.next')}
      </Button>
    </Space>
  );
}
