-- Trigram operators and index classes for the data manager's substring search (tasks.search_text).
-- PostgreSQL ships pg_trgm in contrib; PGlite loads it in its worker (src/platform/db/pglite-worker.mjs).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
