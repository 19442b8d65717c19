/** Media through the pipeline: every fixture both ways, hostile images, the storage trigger: in-process run (functions on in-memory adapters, the storage trigger wired to the memory store). */
import { mediaPipelineSuite } from './media-pipeline.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

mediaPipelineSuite(useInProcessApi());
