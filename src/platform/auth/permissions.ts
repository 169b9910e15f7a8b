/**
 * Every permission is `resource:action`. Routes declare one in their config; roles grant
 * sets of them. `resource:*` and `*` are wildcards. `self` is held by every signed-in
 * principal: it marks routes about the caller's own account.
 */
export const PERMISSIONS = {
  'tenants:read': 'See the tenant and its settings',
  'tenants:manage': 'Change the tenant settings',
  'users:read': 'List members of the tenant',
  'users:manage': 'Invite, create, deactivate members',
  'roles:read': 'List roles and assignments',
  'roles:manage': 'Create custom roles and assign roles',
  'sessions:read': "See other members' sessions",
  'sessions:manage': 'Force other members to log out',
  'tokens:create': 'Create API tokens for oneself',
  'tokens:manage': "See and revoke other members' API tokens",
  'audit:read': 'Query and export the audit log',
  'audit:verify': 'Verify the audit hash chain and see its checkpoints',
  'audit:erase': 'Erase personal fields from the audit log (GDPR)',
  'security:read': 'See security events and the IP allow-list',
  'security:manage': 'Triage security events and edit the IP allow-list',
  'jobs:read': 'See the status of one’s own background jobs',
  'jobs:read_all': 'See every background job of the tenant (the System page)',
  'projects:read': 'See projects and their tasks',
  'projects:create': 'Create projects',
  'projects:update': 'Change project settings and members',
  'projects:delete': 'Delete projects',
  'tasks:import': 'Import tasks',
  'tasks:export': 'Export tasks and annotations',
  'tasks:manage': 'Bulk-edit, assign and delete tasks',
  'annotations:read': "See others' annotations",
  'annotations:write': 'Annotate tasks',
  'reviews:write': 'Accept, reject and fix annotations',
  'comments:write': 'Comment on tasks and annotations, reply, and resolve threads',
  'comments:manage': "Delete others' comments in the projects one manages",
  'webhooks:manage': 'Register and change webhooks',
  'quality:read': 'See quality metrics and compute agreement statistics',
  'quality:manage':
    'Run agreement and scoring, change quality settings, rules, workflows, alerts and report schedules, import Ragas evaluations',
  'quality:review': 'Triage quality issues and alerts, assign and decide improvement tasks',
  'quality:improve': 'Work on improvement tasks assigned to oneself',
  'billing:read': 'See bills, billing records, rules and trends (of the projects one manages)',
  'billing:read_own': 'See one’s own pay statements',
  'billing:manage':
    'Propose billing rules, set project billing settings, generate, issue, pay, void and adjust bills',
  'billing:approve': 'Approve billing rule versions proposed by someone else',
  'llm:read': 'See LLM configurations, models, bindings, usage and budgets',
  'llm:manage': 'Add and change LLM configurations, models, bindings, budgets and the prompt-logging setting',
  'llm:use': 'Call the LLM gateway (the playground and its API)',
  'sql:ask':
    'Ask questions over the tenant’s reporting views (every project) and see one’s own query history',
  'sql:run': 'Run SQL one wrote or edited (validated read-only) over the reporting views',
  'sql:manage': 'Change the text-to-SQL configuration and see every member’s query history',
  'license:read': "See the installation's license, its limits and usage, and its history",
  'license:manage': 'Install license keys and activate or deactivate them (platform owners)',
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const SELF = 'self';
export type RoutePermission = Permission | typeof SELF;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export const BUILT_IN_ROLES = ['owner', 'admin', 'manager', 'reviewer', 'annotator', 'viewer'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

const annotatorSet: string[] = [
  'projects:read',
  'annotations:write',
  'comments:write',
  'jobs:read',
  'tokens:create',
  'billing:read_own',
  'quality:improve',
];

export const BUILT_IN_PERMISSIONS: Record<BuiltInRole, readonly string[]> = {
  owner: ['*'],
  admin: ALL_PERMISSIONS,
  manager: [
    'tenants:read',
    'users:read',
    'roles:read',
    'jobs:read',
    'jobs:read_all',
    'tokens:create',
    'projects:*',
    'tasks:*',
    'annotations:*',
    'reviews:*',
    'comments:*',
    'webhooks:manage',
    'quality:*',
    'billing:read',
    'billing:read_own',
    'llm:read',
    'llm:use',
    'sql:ask',
    'sql:run',
  ],
  reviewer: [
    ...annotatorSet,
    'annotations:read',
    'reviews:write',
    'tasks:export',
    'quality:read',
    'quality:review',
  ],
  annotator: annotatorSet,
  viewer: ['projects:read', 'annotations:read', 'jobs:read', 'quality:read'],
};

export function isKnownPermission(p: string): boolean {
  if (p === '*') return true;
  if (p.endsWith(':*')) return ALL_PERMISSIONS.some((k) => k.startsWith(p.slice(0, -1)));
  return Object.hasOwn(PERMISSIONS, p);
}

/** Whether a set of granted permissions (with wildcards) covers `required`. */
export function grants(granted: Iterable<string>, required: string): boolean {
  if (required === SELF) return true;
  // Built once, not per granted entry: every API request checks a list of dozens.
  const resourceWildcard = `${required.slice(0, required.indexOf(':'))}:*`;
  for (const g of granted) {
    if (g === '*' || g === required || g === resourceWildcard) return true;
  }
  return false;
}

/** Expands wildcards to the concrete catalogue entries they cover. */
export function expand(granted: Iterable<string>): Permission[] {
  const set = [...granted];
  return ALL_PERMISSIONS.filter((p) => grants(set, p));
}
