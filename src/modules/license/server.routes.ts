import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { LicenseServer } from './service.ts';

const Body = Type.Object(
  {
    license: Type.String({ minLength: 1, maxLength: 20_000 }),
    fingerprint: Type.String({ pattern: '^[0-9a-f]{32}$' }),
    nonce: Type.String({ minLength: 8, maxLength: 64 }),
  },
  { additionalProperties: false },
);

/**
 * The license server (SUPERINSIGHT_LICENSE_SERVER=true): other installations activate here.
 * Public by design: the caller proves itself with the signed license key it holds.
 */
export const licenseServerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const server = new LicenseServer(app.platform);

  app.post(
    '/license-server/activations',
    {
      // Recorded in license_audit_logs: there is no tenant whose audit chain they belong to.
      config: { public: true, audit: false },
      schema: {
        tags: ['license server'],
        summary: 'Activate a license on a machine (counts against its machines) and sign the activation',
        body: Body,
        response: { 200: Type.Object({ activation: Type.String() }) },
      },
    },
    async (req) => server.activate(req.body),
  );

  app.delete(
    '/license-server/activations',
    {
      // Recorded in license_audit_logs: there is no tenant whose audit chain they belong to.
      config: { public: true, audit: false },
      schema: {
        tags: ['license server'],
        summary: "Release a machine's activation",
        body: Type.Omit(Body, ['nonce']),
        response: { 200: Type.Object({ released: Type.Integer() }) },
      },
    },
    async (req) => server.deactivate(req.body),
  );
};
