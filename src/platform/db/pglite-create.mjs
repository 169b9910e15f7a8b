// Creates an embedded database (PGlite's initdb) in the data directory given as the first
// argument, with the settings (a JSON array of postgresql.conf lines) given as the second,
// and exits. A process of its own because creating takes ~600 MB that neither PGlite nor
// the thread allocator hands back: when this process ends, the memory goes with it.
import { PGlite } from '@electric-sql/pglite';

const [dataDir, settings] = process.argv.slice(2);
const pglite = new PGlite(dataDir, { postgresqlconf: JSON.parse(settings ?? '[]') });
await pglite.waitReady;
await pglite.close();
