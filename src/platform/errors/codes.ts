/**
 * Every stable problem code the API answers with, as `area.reason` in snake_case. The console
 * translates each (web/src/locales/{en,zh-CN}/problems.json; test/problem-codes.test.ts checks both
 * languages) and clients may branch on them, so a code is never renamed once shipped. `Problem`
 * takes a `ProblemCode`: a throw with a code missing here does not typecheck.
 */
export const PROBLEM_CODES = [
  'agreement.duplicate_category',
  'agreement.invalid_request',
  'agreement.invalid_value',
  'agreement.missing',
  'agreement.negative_value',
  'agreement.no_categories',
  'agreement.no_pairable_values',
  'agreement.no_units',
  'agreement.no_variation',
  'agreement.not_computed',
  'agreement.not_finite',
  'agreement.not_numeric',
  'agreement.ragged',
  'agreement.too_complex',
  'agreement.too_few_raters',
  'agreement.too_large',
  'agreement.unknown_category',
  'agreement.wrong_rater_count',

  'alert_configuration.not_found',

  'annotation.change_forbidden',
  'annotation.gone',
  'annotation.not_found',
  'annotation.refers_to_unknown',
  'annotation.result_invalid',

  'api_token.not_found',

  'auth.account_disabled',
  'auth.account_locked',
  'auth.cross_site_login',
  'auth.csrf_origin',
  'auth.csrf_token',
  'auth.current_password_wrong',
  'auth.invalid_login',
  'auth.ip_not_allowed',
  'auth.no_tenant',
  'auth.not_member',
  'auth.owner_only',
  'auth.password_unchanged',
  'auth.password_weak',
  'auth.permission_required',
  'auth.required',
  'auth.session_invalid',
  'auth.token_cannot_logout',

  'bill.amount_invalid',
  'bill.closed',
  'bill.mixed_currencies',
  'bill.no_adjustments',
  'bill.not_found',
  'bill.not_generated',
  'bill.stale_run',
  'bill.transition',
  'bill.unknown_member',
  'bill.unknown_project',

  'billing_rule.not_found',
  'billing_rule.project_exists',
  'billing_rule.tenant_exists',

  'billing_rule_version.approved',
  'billing_rule_version.approved_delete',
  'billing_rule_version.invalid',
  'billing_rule_version.not_found',
  'billing_rule_version.own_approval',

  'binding.not_found',

  'budget.not_found',

  'cli.email_required',

  'comment.annotation_elsewhere',
  'comment.is_reply',
  'comment.not_found',
  'comment.not_yours',
  'comment.reply_annotation',

  'dashboard.range_reversed',
  'dashboard.range_too_long',

  'dataset.not_found',

  'db.character_not_storable',
  'db.check_violation',
  'db.data_exception',
  'db.datetime_out_of_range',
  'db.exclusion_violation',
  'db.foreign_key_violation',
  'db.insufficient_privilege',
  'db.integrity_violation',
  'db.invalid_datetime_format',
  'db.invalid_text_representation',
  'db.limit_exceeded',
  'db.not_null_violation',
  'db.numeric_out_of_range',
  'db.restarting',
  'db.string_too_long',
  'db.unavailable',
  'db.unique_violation',

  'draft.not_found',

  'export.delete_forbidden',
  'export.format_unsupported',
  'export.gone',
  'export.not_completed',
  'export.not_finished',
  'export.not_found',

  'export_file.not_found',

  'http.bad_request',
  'http.client_error',
  'http.method_not_allowed',
  'http.no_route',
  'http.not_acceptable',
  'http.not_found',
  'http.payload_too_large',
  'http.too_many_requests',
  'http.unsupported_media_type',

  'import.body_type',
  'import.empty',
  'import.file_too_large',
  'import.file_type',
  'import.gone',
  'import.mapping_invalid',
  'import.no_file',
  'import.no_header',
  'import.not_found',
  'import.record_invalid',
  'import.staged_file_missing',
  'import.text_empty',
  'import.text_format_required',
  'import.text_unreadable',
  'import.too_large',
  'import.too_many_tasks',
  'import.url_failed',
  'import.url_format_unknown',

  'improvement_task.assignee_only',
  'improvement_task.closed',
  'improvement_task.needs_source',
  'improvement_task.not_found',
  'improvement_task.result_required',
  'improvement_task.transition',

  'invitation.accepted',
  'invitation.expired',
  'invitation.invalid',
  'invitation.inviter_gone',
  'invitation.not_found',
  'invitation.revoked',
  'invitation.used',
  'invitation.wrong_password',

  'job.not_found',

  'label_config.empty',
  'label_config.invalid',

  'llm.azure_api_version',
  'llm.base_url_credentials',
  'llm.base_url_invalid',
  'llm.base_url_scheme',
  'llm.capability_missing',
  'llm.configuration_disabled',
  'llm.fallback_invalid',
  'llm.fallback_unknown',
  'llm.no_model',
  'llm.schema_invalid',
  'llm.structured_output_invalid',

  'llm_budget.currency_required',
  'llm_budget.exceeded',
  'llm_budget.limit_not_positive',
  'llm_budget.tokens_whole',
  'llm_budget.warn_ratio',

  'llm_configuration.not_found',

  'log.not_found',

  'lscompat.export_filter_unsupported',
  'lscompat.export_not_completed',
  'lscompat.export_not_converted',
  'lscompat.page_invalid',
  'lscompat.page_size_invalid',

  'mail.not_configured',

  'media.multipart_required',
  'media.no_tag',
  'media.not_found',
  'media.not_media_path',
  'media.signature_expired',
  'media.signature_invalid',
  'media.signature_required',
  'media.too_large',
  'media.unsupported_type',

  'member.account_exists',
  'member.already_member',
  'member.assignment_expired',
  'member.cannot_deactivate_self',
  'member.holds_more_permissions',
  'member.last_admin',
  'member.own_password_on_profile',

  'ml_backend.bad_scheme',
  'ml_backend.bad_url',
  'ml_backend.basic_incomplete',
  'ml_backend.bearer_incomplete',
  'ml_backend.credentials_in_url',
  'ml_backend.not_found',

  'model.not_found',

  'next.selection_too_large',

  'notification.not_found',

  'plugin.not_found',

  'prediction.invalid',
  'prediction.not_found',

  'project.config_drops_data',
  'project.duplicate_needs_tasks',
  'project.duplicate_too_many_tasks',
  'project.member_not_active',
  'project.not_found',

  'project_member.not_found',

  'quality_alert.acknowledged',
  'quality_alert.not_found',
  'quality_alert.resolved',
  'quality_alert.webhook_url_invalid',
  'quality_alert.webhook_url_required',

  'quality_issue.not_found',
  'quality_issue.transition',

  'quality_rule.config_invalid',
  'quality_rule.not_found',
  'quality_rule.unknown_user',

  'quality_score.unknown_control',
  'quality_score.weights_sum',

  'quality_template.built_in_name',
  'quality_template.name_taken',

  'ragas.invalid',

  'ragas_record.not_found',

  'report.cron_fields',
  'report.cron_invalid',
  'report.period_reversed',

  'report_run.not_found',

  'report_schedule.not_found',

  'request.cursor_invalid',
  'request.json_too_deep',
  'request.json_too_many_keys',
  'request.range_reversed',
  'request.rate_limited',
  'request.schema',
  'request.unstorable_value',

  'reset.expired',
  'reset.invalid',
  'reset.used',

  'review.assignment_invalid',
  'review.fix_needs_result',
  'review.own_annotation',
  'review.skip_has_no_result',
  'review.taken',

  'role.built_in_name',
  'role.built_in_read_only',
  'role.has_children',
  'role.holds_more_permissions',
  'role.inherit_unknown',
  'role.inheritance_cycle',
  'role.invalid_permissions',
  'role.not_found',
  'role.unknown',
  'role.unknown_permission',
  'role.would_hold_more_permissions',

  'role_assignment.not_found',

  'security.allow_list_locks_out',
  'security.cidr_invalid',

  'security_event.not_found',
  'security_event.transition',

  'server.unexpected',

  'session.not_found',

  'sql.correction_needs_incorrect',
  'sql.no_templates',
  'sql.plugin_unknown',
  'sql.plugin_url_credentials',
  'sql.plugin_url_invalid',
  'sql.plugin_url_scheme',

  'statement.not_found',

  'system.access_restricted',

  'tab.not_found',

  'task.contains_needs_data_key',
  'task.contains_with_search',
  'task.data_key_needs_search',
  'task.label_choice_unknown',
  'task.label_invalid',
  'task.label_needs_choices',
  'task.label_not_choices_control',
  'task.not_a_date_time',
  'task.not_found',
  'task.priority_required',
  'task.relevance_needs_search',
  'task.score_range',
  'task.search_no_words',
  'task.user_ids_required',
  'task.user_not_member',
  'task.user_not_project_member',

  'template.not_found',

  'tenant.not_found',
  'tenant.unknown_time_zone',

  'token.expiry_in_past',
  'token.holds_more_permissions',
  'token.no_permission',

  'user.not_found',

  'webhook.actions_required',
  'webhook.not_found',
  'webhook.url_invalid',
  'webhook.url_scheme',
] as const;

/**
 * Codes that predate the `area.reason` convention. Clients already read them (the text-to-SQL
 * refusal rules and execution failures, the license refusals, the LLM provider failures, the
 * data-manager tab codes), so they keep their names.
 */
export const LEGACY_PROBLEM_CODES = [
  // Text to SQL: refusal rules (validator.ts), execution failures (executor.ts) and the rest.
  'cannot_answer',
  'plugin_failed',
  'unknown_source',
  'source_disabled',
  'invalid_template',
  'builtin_read_only',
  'project_access',
  'template_name_taken',
  'plugin_name_taken',
  'sql_syntax',
  'empty_statement',
  'multiple_statements',
  'not_select',
  'data_modifying',
  'select_into',
  'locking_clause',
  'system_catalog',
  'relation_not_allowed',
  'function_not_allowed',
  'parameter_mismatch',
  'timeout',
  'plan_too_costly',
  'duplicate_column',
  'query_failed',
  // Data-manager tabs.
  'relevance_needs_q',
  'tab_name_taken',
  'tabs_limit',
  // License refusals.
  'activation_invalid',
  'activation_refused',
  'license_annotator_limit',
  'license_feature_required',
  'license_invalid',
  'license_machines_exhausted',
  'license_missing',
  'license_project_limit',
  'license_seat_limit',
  'license_server_release_failed',
  'license_server_unreachable',
  'license_server_url_required',
  'license_storage_limit',
  'not_activated',
  // LLM gateway: no binding, and the provider failures (adapters.ts).
  'llm_not_bound',
  'rate_limited',
  'server_error',
  'network',
  'unauthorized',
  'model_not_found',
  'bad_request',
  'refused_address',
  'bad_response',
  'circuit_open',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number] | (typeof LEGACY_PROBLEM_CODES)[number];

/**
 * The codes of schema field errors: ajv's keywords. A field error carries one (with ajv's
 * params: `limit`, `allowedValues`...); the console translates those it knows.
 */
export const FIELD_CODES = [
  'required',
  'type',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'enum',
  'const',
  'format',
  'pattern',
  'additionalProperties',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'anyOf',
  'oneOf',
] as const;
