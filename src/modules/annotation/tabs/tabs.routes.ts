import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { DateTime, NoContent } from '../../../platform/http/schemas.ts';
import { loadProject } from '../access.ts';
import { Filter } from '../tasks/tasks.routes.ts';
import { SORTS } from '../tasks/tasks.service.ts';
import * as service from './tabs.service.ts';

const Id = Type.Integer({ minimum: 1 });
const Params = Type.Object({ id: Id });
const TabParams = Type.Object({ id: Id, tabId: Id });

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Ordering = Type.Union(
  SORTS.map((s) => Type.Literal(s)),
  { description: "The task list's `sort`" },
);
const Columns = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
  maxItems: 200,
  description: 'The grid columns shown, in order (the console names data fields `data.KEY`)',
});
const TabFilters = Type.Unsafe<typeof Filter.static>({
  ...Filter,
  description: "The task list's filters (its query parameters as an object), search included",
});

const TabOut = Type.Object({
  id: Type.Integer(),
  project: Type.Integer(),
  name: Type.String(),
  filters: TabFilters,
  ordering: Ordering,
  columns: Type.Array(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});

/** Saved data-manager tabs: each user's own named filters, sort and columns per project. */
export const tabRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/projects/:id/tabs',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['tasks'],
        summary: "The caller's saved data-manager tabs of a project, oldest first",
        params: Params,
        response: { 200: Type.Object({ items: Type.Array(TabOut) }) },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        return { items: await service.listTabs(tx, req.me, project) };
      }),
  );

  app.post(
    '/projects/:id/tabs',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['tasks'],
        summary: 'Save a data-manager tab (name, filters, ordering, columns) for the caller',
        description: `Names are unique per user and project (409 tab_name_taken); at most ${service.TABS_MAX} tabs each.`,
        params: Params,
        body: Type.Object(
          {
            name: Name,
            filters: Type.Optional(TabFilters),
            ordering: Type.Optional(Ordering),
            columns: Type.Optional(Columns),
          },
          { additionalProperties: false },
        ),
        response: { 201: TabOut },
      },
    },
    async (req, reply) => {
      const tab = await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        const tab = await service.createTab(tx, req.me, project, req.body);
        req.audit({
          action: 'tab.created',
          resourceType: 'data_manager_tab',
          resourceId: String(tab.id),
          details: { project: project.id, name: tab.name },
        });
        return tab;
      });
      return reply.code(201).send(tab);
    },
  );

  app.patch(
    '/projects/:id/tabs/:tabId',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['tasks'],
        summary: "Rename one of the caller's tabs or replace its filters, ordering or columns",
        params: TabParams,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            filters: Type.Optional(TabFilters),
            ordering: Type.Optional(Ordering),
            columns: Type.Optional(Columns),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: TabOut },
      },
    },
    async (req) =>
      req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        const tab = await service.updateTab(tx, req.me, project, req.params.tabId, req.body);
        req.audit({
          action: 'tab.updated',
          resourceType: 'data_manager_tab',
          resourceId: String(tab.id),
          details: { project: project.id, fields: Object.keys(req.body) },
        });
        return tab;
      }),
  );

  app.delete(
    '/projects/:id/tabs/:tabId',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags: ['tasks'],
        summary: "Delete one of the caller's tabs",
        params: TabParams,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await req.tx(async (tx) => {
        const project = await loadProject(tx, req.me, req.params.id, 'read');
        const tab = await service.deleteTab(tx, req.me, project, req.params.tabId);
        req.audit({
          action: 'tab.deleted',
          resourceType: 'data_manager_tab',
          resourceId: String(tab.id),
          details: { project: project.id, name: tab.name },
        });
      });
      return reply.code(204).send(null);
    },
  );
};
