import { loadModule, parseSync } from 'libpg-query';
import { REPORTING_SCHEMA, REPORTING_VIEW_NAMES } from './reporting.ts';

/** Why a query is refused: a stable code naming the rule, returned in the 400 problem. */
export type Rule =
  | 'sql_syntax'
  | 'empty_statement'
  | 'multiple_statements'
  | 'not_select'
  | 'data_modifying'
  | 'select_into'
  | 'locking_clause'
  | 'system_catalog'
  | 'relation_not_allowed'
  | 'function_not_allowed'
  | 'parameter_mismatch';

export class Refusal extends Error {
  constructor(
    readonly rule: Rule,
    message: string,
  ) {
    super(message);
  }
}

/** The one statement, cut out of the input (without a trailing `;`), ready to wrap. */
export interface ValidSelect {
  sql: string;
  /** The reporting views it reads. */
  relations: string[];
  /** The highest bound parameter ($n) it uses; 0 without any. */
  parameters: number;
}

const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);
const WRITES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * Functions that sleep, read files or settings, touch large objects or other databases,
 * signal backends, advance sequences, take advisory locks, or run a query given as text
 * (which would escape the relation check: query_to_xml, ts_stat). `pg_*` covers the
 * catalog readers and admin functions as a whole.
 */
const DENIED_PREFIXES = ['pg_', 'lo_', 'dblink', 'has_', 'txid_', 'binary_upgrade_'];
const DENIED_FUNCTIONS = new Set([
  'set_config',
  'current_setting',
  'nextval',
  'setval',
  'currval',
  'lastval',
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'ts_stat',
  'ts_rewrite',
  'version',
  'inet_server_addr',
  'inet_server_port',
  'inet_client_addr',
  'inet_client_port',
  'current_database',
  'current_schemas',
]);

let loaded: Promise<void> | undefined;
/** Loads the parser's WASM once; call before validate(). */
export function loadParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

type Node = Record<string, unknown>;

/**
 * Proves a query is one plain SELECT over the reporting views: parsed by PostgreSQL's own
 * parser, then the whole tree walked (a data-modifying CTE and SELECT … INTO both parse as
 * a top-level SELECT). Throws a Refusal naming the first rule broken.
 */
export function validateSelect(text: string): ValidSelect {
  if (text.trim() === '') throw new Refusal('empty_statement', 'There is no statement.');
  let tree: { stmts?: { stmt: Node; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = parseSync(text);
  } catch (err) {
    throw new Refusal('sql_syntax', `The SQL does not parse: ${(err as Error).message}`);
  }
  const stmts = tree.stmts ?? [];
  if (stmts.length === 0) throw new Refusal('empty_statement', 'There is no statement.');
  if (stmts.length > 1) throw new Refusal('multiple_statements', 'Only one statement may be run.');
  const [{ stmt, stmt_location: location = 0, stmt_len: length = 0 }] = stmts as [(typeof stmts)[number]];
  const kind = Object.keys(stmt)[0]!;
  if (kind !== 'SelectStmt') throw new Refusal('not_select', `Only SELECT may be run, not ${kind}.`);
  const relations = new Set<string>();
  walk(stmt, [], relations);
  const bytes = Buffer.from(text, 'utf8');
  const cut = bytes.subarray(location, length ? location + length : bytes.length).toString('utf8');
  const parameters = Math.max(0, ...placeholdersIn(stmt).map((p) => p.number));
  return { sql: cut.trim(), relations: [...relations].sort(), parameters };
}

/** Where the bound parameters ($n) of one valid SELECT are, as character offsets, in order. */
export function placeholders(text: string): { number: number; start: number; end: number }[] {
  const bytes = Buffer.from(text, 'utf8');
  const chars = (byte: number) => bytes.subarray(0, byte).toString('utf8').length;
  return placeholdersIn(parseSync(text))
    .sort((a, b) => a.location - b.location)
    .map((p) => {
      const start = chars(p.location);
      const token = /^\$\d+/.exec(text.slice(start))![0];
      return { number: p.number, start, end: start + token.length };
    });
}

function placeholdersIn(value: unknown, found: { number: number; location: number }[] = []) {
  if (Array.isArray(value)) for (const v of value) placeholdersIn(v, found);
  else if (value && typeof value === 'object')
    for (const [key, child] of Object.entries(value as Node)) {
      if (key === 'ParamRef') {
        const ref = child as { number: number; location: number };
        found.push({ number: ref.number, location: ref.location });
      } else placeholdersIn(child, found);
    }
  return found;
}

/** Visits every node; `scope` holds the CTE names visible here, innermost last. */
function walk(value: unknown, scope: string[], relations: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, scope, relations);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Node)) {
    if (WRITES.has(key)) throw new Refusal('data_modifying', `${key} is not allowed anywhere in a query.`);
    if (key.endsWith('Stmt') && key !== 'SelectStmt')
      throw new Refusal('not_select', `${key} is not allowed in a query.`);
    if (key === 'SelectStmt') selectStmt(child as Node, scope, relations);
    else if (key === 'RangeVar') rangeVar(child as Node, scope, relations);
    else if (key === 'FuncCall') {
      funcCall(child as Node);
      walk(child, scope, relations);
    } else walk(child, scope, relations);
  }
}

function selectStmt(node: Node, scope: string[], relations: Set<string>): void {
  if (node.intoClause) throw new Refusal('select_into', 'SELECT … INTO creates a table; it is not allowed.');
  if (Array.isArray(node.lockingClause) && node.lockingClause.length > 0)
    throw new Refusal('locking_clause', 'FOR UPDATE / FOR SHARE lock rows; they are not allowed.');
  const { withClause, ...rest } = node;
  let inner = scope;
  if (withClause) {
    const w = withClause as { recursive?: boolean; ctes?: { CommonTableExpr: Node }[] };
    const names = (w.ctes ?? []).map((c) => String(c.CommonTableExpr.ctename));
    // A CTE's body sees the CTEs before it, and (when recursive) all of them and itself.
    (w.ctes ?? []).forEach((c, i) => {
      walk(c.CommonTableExpr.ctequery, [...scope, ...(w.recursive ? names : names.slice(0, i))], relations);
    });
    inner = [...scope, ...names];
  }
  walk(rest, inner, relations);
}

function rangeVar(node: Node, scope: string[], relations: Set<string>): void {
  const name = String(node.relname);
  const schema = node.schemaname === undefined ? undefined : String(node.schemaname);
  if (node.catalogname !== undefined)
    throw new Refusal(
      'relation_not_allowed',
      `${node.catalogname}.${schema}.${name} is not an allowed view.`,
    );
  if (schema === undefined && scope.includes(name)) return;
  if (schema !== undefined && SYSTEM_SCHEMAS.has(schema))
    throw new Refusal('system_catalog', `${schema}.${name} is a system catalog; it cannot be read.`);
  if ((schema === undefined || schema === REPORTING_SCHEMA) && REPORTING_VIEW_NAMES.has(name)) {
    relations.add(name);
    return;
  }
  if (schema === undefined && (name.startsWith('pg_') || name.startsWith('information_schema')))
    throw new Refusal('system_catalog', `${name} is a system catalog; it cannot be read.`);
  throw new Refusal(
    'relation_not_allowed',
    `${schema ? `${schema}.` : ''}${name} is not one of the reporting views (GET /api/v1/sql/schema).`,
  );
}

function funcCall(node: Node): void {
  const parts = (node.funcname as { String: { sval: string } }[]).map((p) => p.String.sval.toLowerCase());
  const name = parts.at(-1)!;
  const schema = parts.length > 1 ? parts.at(-2) : undefined;
  if (schema !== undefined && schema !== 'pg_catalog')
    throw new Refusal('function_not_allowed', `${parts.join('.')} is not a built-in function.`);
  if (DENIED_FUNCTIONS.has(name) || DENIED_PREFIXES.some((p) => name.startsWith(p)))
    throw new Refusal('function_not_allowed', `${name}() is not allowed in a query.`);
}
