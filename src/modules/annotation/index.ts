import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Module } from '../index.ts';
import { subscribeAnnotation } from './annotation.events.ts';
import { commentRoutes } from './comments/comments.routes.ts';
import { dashboardRoutes } from './dashboard/dashboard.routes.ts';
import { defineExportJobs } from './export/export.jobs.ts';
import { exportRoutes } from './export/export.routes.ts';
import { defineImportJobs } from './import/import.jobs.ts';
import { importRoutes } from './import/import.routes.ts';
import { mediaRoutes } from './import/media.routes.ts';
import { annotationRoutes } from './labeling/annotations.routes.ts';
import { assignmentRoutes } from './labeling/assignments.routes.ts';
import { draftRoutes } from './labeling/drafts.routes.ts';
import { defineLabelingJobs } from './labeling/labeling.jobs.ts';
import { nextTaskRoutes } from './labeling/next.routes.ts';
import { predictionRoutes } from './labeling/predictions.routes.ts';
import { defineProjectJobs } from './projects/project.jobs.ts';
import { projectRoutes } from './projects/projects.routes.ts';
import { reviewRoutes } from './review/review.routes.ts';
import { tabRoutes } from './tabs/tabs.routes.ts';
import { defineLabelJobs } from './tasks/label.jobs.ts';
import { defineTaskJobs } from './tasks/tasks.jobs.ts';
import { taskRoutes } from './tasks/tasks.routes.ts';
import { defineWebhookJobs } from './webhooks/webhooks.jobs.ts';
import { webhookRoutes } from './webhooks/webhooks.routes.ts';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(projectRoutes);
  await app.register(taskRoutes);
  await app.register(tabRoutes);
  await app.register(annotationRoutes);
  await app.register(draftRoutes);
  await app.register(predictionRoutes);
  await app.register(nextTaskRoutes);
  await app.register(assignmentRoutes);
  await app.register(reviewRoutes);
  await app.register(commentRoutes);
  await app.register(importRoutes);
  await app.register(mediaRoutes);
  await app.register(exportRoutes);
  await app.register(webhookRoutes);
  await app.register(dashboardRoutes);
};

export const annotationModule: Module = {
  name: 'annotation',
  routes,
  jobs: (platform) => {
    defineImportJobs(platform);
    defineExportJobs(platform);
    defineWebhookJobs(platform);
    defineProjectJobs(platform);
    defineLabelJobs(platform);
    defineTaskJobs(platform);
    defineLabelingJobs(platform);
  },
  subscribe: subscribeAnnotation,
};

/** Project access as the annotation module decides it: the one rule every module uses. */
export { loadProject, managesAllProjects, type ProjectNeed, projectsFor } from './access.ts';
/** Whether a file name is a task file's (else an upload is media), for the same modules. */
export { formatFromFilename } from './import/import.parsers.ts';
/** The largest import file, for modules that take uploads on the import's behalf. */
export { MAX_IMPORT_BYTES } from './import/import.service.ts';
/** A labeling config checked for a project without changing it (Label Studio's validate). */
export { parseLabelConfig } from './label-config/label-config.ts';
/** Writes other modules make to annotations, checked and announced as the module's own. */
export { replaceResult } from './labeling/replace-result.ts';
export { checkConfigFor } from './projects/projects.service.ts';
/** What other modules may read of annotation's tables. */
export {
  annotationsInContext,
  countAllProjects,
  countSubmitted,
  findAnnotation,
  projectFacts,
  readOnly,
  submittedIdsAfter,
  submittedOfSameTask,
  submittedOfTasks,
} from './reads.ts';
/** The annotation's public shape, as events and webhooks carry it. */
export { AnnotationOut, annotationView, PredictionOut } from './shapes.ts';
/** The webhook event names (Label Studio's actions). */
export { WEBHOOK_EVENTS } from './webhooks/webhooks.service.ts';
