/** Media through the pipeline: every fixture both ways, hostile images, the storage trigger: integration run (HTTP to the local stack, its storage emulator and Pub/Sub). */
import { mediaPipelineSuite } from './media-pipeline.suite.ts';
import { useStackMediaApi } from './use-stack.ts';

mediaPipelineSuite(useStackMediaApi());
