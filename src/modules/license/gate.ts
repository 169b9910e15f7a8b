import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from '../../platform/errors/problem.ts';
import type { Platform } from '../../platform/index.ts';
import { editionWith, FEATURES, type Feature } from './editions.ts';
import { type EnforcedLimit, LimitRefusal } from './limits.ts';
import { type LicenseState, licenseOf, logEvent } from './state.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The licensed feature this route's writes need (reads stay open: data is never held back). */
    feature?: Feature;
  }
}

/** The stable refusal: the feature, and the edition that has it. */
export function featureRequired(feature: Feature, state: LicenseState): Problem {
  const edition = editionWith(feature);
  const why = state.status === 'trial_ended' || state.status === 'expired' ? ` ${state.message}` : '';
  return new Problem(
    403,
    'license_feature_required',
    `${FEATURES[feature]} needs the ${edition} edition; this installation runs ${state.edition}.${why}`,
    {
      params: { feature, edition, current_edition: state.edition },
      feature,
      edition,
      current_edition: state.edition,
    },
  );
}

/** For a choice inside a route (an export format): refuses unless the license has the feature. */
export async function requireFeature(platform: Platform, feature: Feature): Promise<void> {
  const state = await licenseOf(platform).state();
  if (!state.features.includes(feature)) throw featureRequired(feature, state);
}

/** Routes of a module that is a licensed area: each of them declares the module's feature. */
export function gatedRoutes(feature: Feature, routes: FastifyPluginAsync): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRoute', (route) => {
      route.config ??= {};
      (route.config as { feature?: Feature }).feature ??= feature;
    });
    await app.register(routes);
  };
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const REFUSAL_EVENTS = {
  seats: 'seat_refused',
  projects: 'project_refused',
  annotators: 'annotator_refused',
  storage_gb: 'storage_refused',
} as const satisfies Record<EnforcedLimit, string>;

/**
 * The one place features are enforced, after authentication and permission (the auth
 * plugin's hook runs first): a write on a route that declares a feature the license lacks
 * gets 403 `license_feature_required`. Reads stay open, so data made under a trial or an
 * expired license remains readable and downloadable.
 */
async function gatePlugin(app: FastifyInstance, { platform }: { platform: Platform }) {
  const license = licenseOf(platform);
  const checkWrite = async (feature: Feature | undefined) => {
    // Every write evaluates the license first (cached for seconds), so checks inside its
    // transaction (the project limit) find it evaluated.
    const state = await license.state();
    if (feature && !state.features.includes(feature)) throw featureRequired(feature, state);
  };
  // Reads pass without a promise: most requests are reads.
  app.addHook('onRequest', (request, _reply, done) => {
    if (READS.has(request.method) || !request.routeOptions.url?.startsWith('/api/')) {
      done();
      return;
    }
    checkWrite(request.routeOptions.config.feature).then(() => done(), done);
  });
  // A refusal's transaction rolled back; its record is written on its own.
  app.addHook('onError', async (request, _reply, error) => {
    if (!(error instanceof LimitRefusal)) return;
    await logEvent(platform.database.db, {
      event: REFUSAL_EVENTS[error.limit],
      tenantId: error.tenantId,
      actorId: error.userId,
      licenseId: (await license.state()).license?.id ?? null,
      message: error.detail,
      details: { allowed: error.extra.allowed, in_use: error.extra.in_use, request_id: String(request.id) },
    });
  });
}

export const licenseGate = fp(gatePlugin, {
  name: 'superinsight-license-gate',
  dependencies: ['superinsight-auth'],
});
