import { CheckOutlined, MessageOutlined, UndoOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Card, Empty, Input, List, Popconfirm, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type GetResponse, must } from '../api/client';
import { useFormat } from '../lib/format';
import { useMe } from '../lib/session';
import { ProblemAlert } from './ProblemAlert';

type Comment = GetResponse<'/api/v1/projects/{id}/tasks/{taskId}/comments'>['items'][number];
type Place = { id: number; taskId: number };

/** A task has few comments; one page holds a long review conversation. */
const PAGE = 500;

export const commentKeys = {
  task: (projectId: number, taskId: number) => ['comments', projectId, taskId] as const,
};

/** A task's open threads, for a count shown beside the thread's place. */
export const unresolvedOf = (items: Comment[]) => items.filter((c) => !c.parent && !c.resolved_at).length;

/**
 * A task's comment threads (Label Studio's comments): each first comment with its replies, resolved
 * as a whole; a new comment is about `annotation` when given (the one under review or rework).
 */
export function CommentThread({
  projectId,
  taskId,
  annotation,
}: {
  projectId: number;
  taskId: number;
  annotation?: number;
}) {
  const { t } = useTranslation('comments');
  const queryClient = useQueryClient();
  const me = useMe();
  const path: Place = { id: projectId, taskId };
  const list = useQuery({
    queryKey: commentKeys.task(projectId, taskId),
    queryFn: () =>
      must(
        api.GET('/api/v1/projects/{id}/tasks/{taskId}/comments', {
          params: { path, query: { limit: PAGE } },
        }),
      ),
    refetchInterval: 30_000,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: commentKeys.task(projectId, taskId) });
  const [text, setText] = useState('');
  const add = useMutation({
    mutationFn: (body: { text: string; parent?: number }) =>
      must(
        api.POST('/api/v1/projects/{id}/tasks/{taskId}/comments', {
          params: { path },
          body: body.parent ? body : { ...body, annotation },
        }),
      ),
    onSuccess: (_c, body) => {
      if (!body.parent) setText('');
      void refresh();
    },
  });
  const items = list.data?.items ?? [];
  const roots = items.filter((c) => !c.parent);
  const open = unresolvedOf(items);
  return (
    <Card
      size="small"
      data-testid="comment-thread"
      title={
        <Space>
          <MessageOutlined />
          {t('title')}
          {open ? (
            <Badge data-testid="unresolved-count" count={open} title={t('unresolved', { count: open })} />
          ) : null}
        </Space>
      }
    >
      <ProblemAlert error={list.error ?? add.error} />
      {roots.length === 0 && !list.isPending ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('none')} />
      ) : null}
      {roots.map((root) => (
        <ThreadCard
          key={root.id}
          root={root}
          replies={items.filter((c) => c.parent === root.id)}
          place={path}
          myId={me.data?.user.id}
          onChanged={refresh}
          onReply={(reply) => add.mutateAsync({ text: reply, parent: root.id })}
        />
      ))}
      <Space.Compact style={{ width: '100%', marginTop: 8 }}>
        <Input.TextArea
          aria-label={t('new')}
          placeholder={t('new')}
          autoSize={{ minRows: 1, maxRows: 6 }}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <Button
          type="primary"
          disabled={!text.trim()}
          loading={add.isPending && !add.variables?.parent}
          onClick={() => add.mutate({ text })}
        >
          {t('send')}
        </Button>
      </Space.Compact>
    </Card>
  );
}

/** One thread: its first comment, replies, and the reply box; resolving acts on the whole. */
function ThreadCard({
  root,
  replies,
  place,
  myId,
  onChanged,
  onReply,
}: {
  root: Comment;
  replies: Comment[];
  place: Place;
  myId: string | undefined;
  onChanged: () => unknown;
  onReply: (text: string) => Promise<unknown>;
}) {
  const { t } = useTranslation('comments');
  const [reply, setReply] = useState<string | null>(null);
  const commentPath = { ...place, commentId: root.id };
  const resolve = useMutation({
    mutationFn: (resolved: boolean) =>
      must(
        resolved
          ? api.POST('/api/v1/projects/{id}/tasks/{taskId}/comments/{commentId}/resolve', {
              params: { path: commentPath },
            })
          : api.POST('/api/v1/projects/{id}/tasks/{taskId}/comments/{commentId}/unresolve', {
              params: { path: commentPath },
            }),
      ),
    onSuccess: onChanged,
  });
  const sendReply = useMutation({
    mutationFn: (text: string) => onReply(text),
    onSuccess: () => setReply(null),
  });
  return (
    <div
      data-testid="comment-thread-item"
      data-resolved={root.resolved_at ? 'true' : 'false'}
      style={{ borderBottom: '1px solid rgba(5,5,5,0.06)', paddingBottom: 8, marginBottom: 8 }}
    >
      <List
        size="small"
        split={false}
        dataSource={[root, ...replies]}
        renderItem={(c) => (
          <CommentItem comment={c} place={place} mine={c.author === myId} onChanged={onChanged} />
        )}
      />
      <ProblemAlert error={resolve.error ?? sendReply.error} />
      {reply === null ? (
        <Space size="small" style={{ paddingLeft: 12 }}>
          <Button size="small" type="link" onClick={() => setReply('')}>
            {t('reply')}
          </Button>
          {root.resolved_at ? (
            <Button
              size="small"
              type="link"
              icon={<UndoOutlined />}
              loading={resolve.isPending}
              onClick={() => resolve.mutate(false)}
            >
              {t('reopen')}
            </Button>
          ) : (
            <Button
              size="small"
              type="link"
              icon={<CheckOutlined />}
              loading={resolve.isPending}
              onClick={() => resolve.mutate(true)}
            >
              {t('resolve')}
            </Button>
          )}
        </Space>
      ) : (
        <Space.Compact style={{ width: '100%', paddingLeft: 12 }}>
          <Input.TextArea
            aria-label={t('replyText')}
            placeholder={t('replyText')}
            autoSize={{ minRows: 1, maxRows: 6 }}
            value={reply}
            onChange={(e) => setReply(e.target.value)}
          />
          <Button
            type="primary"
            disabled={!reply.trim()}
            loading={sendReply.isPending}
            onClick={() => sendReply.mutate(reply)}
          >
            {t('sendReply')}
          </Button>
          <Button onClick={() => setReply(null)}>{t('cancel')}</Button>
        </Space.Compact>
      )}
    </div>
  );
}

/** One comment: who, when, what, and its author's edit and delete. */
function CommentItem({
  comment: c,
  place,
  mine,
  onChanged,
}: {
  comment: Comment;
  place: Place;
  mine: boolean;
  onChanged: () => unknown;
}) {
  const { t } = useTranslation('comments');
  const fmt = useFormat();
  const [editing, setEditing] = useState<string | null>(null);
  const path = { ...place, commentId: c.id };
  const edit = useMutation({
    mutationFn: (text: string) =>
      must(
        api.PATCH('/api/v1/projects/{id}/tasks/{taskId}/comments/{commentId}', {
          params: { path },
          body: { text },
        }),
      ),
    onSuccess: () => {
      setEditing(null);
      return onChanged();
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      must(api.DELETE('/api/v1/projects/{id}/tasks/{taskId}/comments/{commentId}', { params: { path } })),
    onSuccess: onChanged,
  });
  return (
    <List.Item
      data-testid="comment"
      style={{ paddingLeft: c.parent ? 24 : 0, alignItems: 'flex-start' }}
      actions={
        mine && editing === null
          ? [
              <Button key="edit" size="small" type="link" onClick={() => setEditing(c.text)}>
                {t('edit')}
              </Button>,
              <Popconfirm
                key="delete"
                title={t(c.parent ? 'deleteReply' : 'deleteThread')}
                onConfirm={() => remove.mutate()}
              >
                <Button size="small" type="link" danger loading={remove.isPending}>
                  {t('delete')}
                </Button>
              </Popconfirm>,
            ]
          : []
      }
    >
      <Space orientation="vertical" size={2} style={{ width: '100%' }}>
        <Space size="small" wrap>
          <Typography.Text strong>{c.author_name || t('someone')}</Typography.Text>
          <Typography.Text type="secondary">{fmt.date(c.created_at)}</Typography.Text>
          {c.review ? <Tag color="orange">{t('verdict')}</Tag> : null}
          {c.annotation && !c.parent ? <Tag>{t('onAnnotation', { id: c.annotation })}</Tag> : null}
          {!c.parent && c.resolved_at ? (
            <Tag color="green" data-testid="comment-resolved">
              {t('resolved')}
            </Tag>
          ) : null}
        </Space>
        {editing === null ? (
          <Typography.Paragraph style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{c.text}</Typography.Paragraph>
        ) : (
          <Space.Compact style={{ width: '100%' }}>
            <Input.TextArea
              aria-label={t('edit')}
              autoSize={{ minRows: 1, maxRows: 6 }}
              value={editing}
              onChange={(e) => setEditing(e.target.value)}
            />
            <Button
              type="primary"
              disabled={!editing.trim()}
              loading={edit.isPending}
              onClick={() => edit.mutate(editing)}
            >
              {t('save')}
            </Button>
            <Button onClick={() => setEditing(null)}>{t('cancel')}</Button>
          </Space.Compact>
        )}
        <ProblemAlert error={edit.error ?? remove.error} />
      </Space>
    </List.Item>
  );
}
