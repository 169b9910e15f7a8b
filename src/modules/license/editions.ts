/** What a license can unlock beyond core work (signing in, annotating, reviewing, JSON export). */
export const FEATURES = {
  export_formats: 'Export formats beyond JSON (CSV, TSV, CONLL2003, COCO, YOLO, Pascal VOC)',
  ai_annotation: 'AI pre-annotation and the LLM gateway',
  quality_assessment: 'Quality assessment: agreement, scoring, rules, issues, alerts, reports',
  knowledge_graph: 'Knowledge graph',
  sso: 'Single sign-on (OIDC, SAML, LDAP, SCIM)',
  multi_tenant: 'More than one tenant',
  audit_compliance: 'Audit and compliance reports',
  text_to_sql:
    'Text-to-SQL: questions answered over reporting views, with SQL proven read-only before it runs',
} as const;

export type Feature = keyof typeof FEATURES;
export const ALL_FEATURES = Object.keys(FEATURES) as Feature[];

export const EDITIONS = ['trial', 'basic', 'professional', 'enterprise'] as const;
export type Edition = (typeof EDITIONS)[number];

/** Each edition's features; a license may list more (an add-on) but never fewer. */
export const EDITION_FEATURES: Record<Edition, readonly Feature[]> = {
  trial: ALL_FEATURES,
  basic: [],
  professional: ['export_formats', 'ai_annotation', 'quality_assessment', 'text_to_sql'],
  enterprise: ALL_FEATURES,
};

/** The cheapest edition that has a feature: what a refusal tells the customer to buy. */
export function editionWith(feature: Feature): Edition {
  return (['professional', 'enterprise'] as const).find((e) => EDITION_FEATURES[e].includes(feature))!;
}

export function isFeature(value: string): value is Feature {
  return Object.hasOwn(FEATURES, value);
}

export const TRIAL_DAYS = 30;
export const DEFAULT_GRACE_DAYS = 7;
/** Days before expiry at which a warning is raised. */
export const WARNING_DAYS = [30, 7, 1] as const;

export interface Limits {
  /** Concurrent non-owner users holding a live session. */
  seats?: number;
  projects?: number;
  storage_gb?: number;
  annotators?: number;
  /** Machines (installations) one license may be activated on. */
  machines?: number;
}

export const LIMIT_NAMES = ['seats', 'projects', 'storage_gb', 'annotators', 'machines'] as const;
