import type { Caller } from '../auth/caller.js';
import { createLoaders } from '../db/loaders.js';
import { AuditService } from './audit.js';
import { AuthService, type SessionCookieJar } from './auth.js';
import type { ServiceDeps } from './deps.js';
import { DestinationService } from './destinations.js';
import { ModelService } from './models.js';
import { MonitoringService } from './monitoring.js';
import { PatientService } from './patients.js';
import { ReviewService } from './reviews.js';
import { StudyService } from './studies.js';
import { TokenService } from './tokens.js';
import { UserService } from './users.js';

export type Services = ReturnType<typeof createServices>;

/** The services for one request, bound to its caller and sharing its dataloaders. */
export function createServices(deps: ServiceDeps, caller: Caller, cookies: SessionCookieJar) {
  const loaders = createLoaders(deps.prisma);
  return {
    auth: new AuthService(deps, caller, cookies),
    studies: new StudyService(deps, caller, loaders),
    patients: new PatientService(deps, caller, loaders),
    reviews: new ReviewService(deps, caller, loaders),
    models: new ModelService(deps, caller),
    monitoring: new MonitoringService(deps, caller),
    users: new UserService(deps, caller),
    tokens: new TokenService(deps, caller, loaders),
    audit: new AuditService(deps, caller),
    destinations: new DestinationService(deps, caller),
  };
}
