/**
 * GET /v1/health: 200 when every dependency answers (Firestore, the media bucket in Cloud
 * Storage, Pub/Sub), 503 naming the one that does not.
 */
import { http } from '@google-cloud/functions-framework';
import { AppError } from '@taskman/shared/errors/app-error';
import { checkHealth } from '@taskman/shared/health/check-health';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appMediaDeps } from '@taskman/shared/wiring/media-deps';
import { API } from '../manifest.ts';

http(
  API.health.name,
  httpFunction(API.health, async () => {
    const health = await checkHealth(appMediaDeps());
    if (!health.ok) {
      const failing = Object.keys(health.checks).filter((k) => health.checks[k] !== 'ok');
      throw new AppError('DEPENDENCY.UNAVAILABLE', `Unavailable: ${failing.join(', ')}.`, {
        details: { checks: health.checks },
      });
    }
    return {
      status: 200,
      body: { status: 'ok', checks: health.checks },
      headers: { 'Cache-Control': 'no-store' },
    };
  }),
);
